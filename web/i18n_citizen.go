package web

// citizenMessages are the texts of the citizen's pages beyond the first
// ones (sessions, identifiers, verification, notifications); init merges
// them into messages.
var citizenMessages = map[string]map[string]string{
	langRU: {
		"nav.sessions":          "Сеансы",
		"nav.identifiers":       "СНИЛС и ИНН",
		"nav.verification":      "Подтверждение личности",
		"nav.notifications":     "Уведомления",
		"ses.created":           "начат",
		"ses.used":              "последнее действие",
		"ses.current":           "этот сеанс",
		"ses.revoke":            "Завершить",
		"f.snils":               "СНИЛС (11 цифр)",
		"f.inn":                 "ИНН (12 цифр)",
		"b.link":                "Привязать",
		"b.request":             "Запросить",
		"b.send":                "Отправить",
		"f.method":              "Способ подтверждения",
		"method.e_signature":    "Электронная подпись",
		"method.bank":           "Код от банка",
		"method.russian_post":   "Код из письма Почты России",
		"method.service_center": "Визит в центр обслуживания (МФЦ)",
		"method.video":          "Видеозвонок с оператором",
		"ver.download":          "Скачать файл для подписи",
		"ver.nochallenge":       "Сначала запросите подтверждение электронной подписью.",
		"f.signature":           "Файл подписи (CMS, DER)",
		"f.signature_missing":   "Выберите файл подписи.",
		"ver.codeh":             "Код от банка или из письма",
		"f.vcode":               "Код подтверждения",
		"not.prefs":             "Настройки уведомлений",
		"not.email":             "Электронная почта",
		"not.sms":               "SMS",
		"not.push":              "Push-уведомления",
		"f.frequency":           "Как часто",
		"freq.immediate":        "Сразу",
		"freq.daily":            "Раз в день",
		"freq.weekly":           "Раз в неделю",
	},
	langEN: {
		"nav.sessions":          "Sessions",
		"nav.identifiers":       "SNILS and INN",
		"nav.verification":      "Identity verification",
		"nav.notifications":     "Notifications",
		"ses.created":           "started",
		"ses.used":              "last used",
		"ses.current":           "this session",
		"ses.revoke":            "End",
		"f.snils":               "SNILS (11 digits)",
		"f.inn":                 "INN (12 digits)",
		"b.link":                "Link",
		"b.request":             "Request",
		"b.send":                "Send",
		"f.method":              "Verification method",
		"method.e_signature":    "Electronic signature",
		"method.bank":           "Code from a bank",
		"method.russian_post":   "Code in a Russian Post letter",
		"method.service_center": "Visit to a service centre (MFC)",
		"method.video":          "Video call with an operator",
		"ver.download":          "Download the file to sign",
		"ver.nochallenge":       "First request verification by electronic signature.",
		"f.signature":           "Signature file (CMS, DER)",
		"f.signature_missing":   "Choose the signature file.",
		"ver.codeh":             "Code from the bank or the letter",
		"f.vcode":               "Verification code",
		"not.prefs":             "Notification settings",
		"not.email":             "Email",
		"not.sms":               "SMS",
		"not.push":              "Push notifications",
		"f.frequency":           "How often",
		"freq.immediate":        "At once",
		"freq.daily":            "Daily",
		"freq.weekly":           "Weekly",
	},
}

func init() {
	for lang, m := range citizenMessages {
		for k, s := range m {
			messages[lang][k] = s
		}
	}
	funcs["list"] = func(items ...string) []string { return items }
}
