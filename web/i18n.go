package web

import (
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
)

// moscow is the time zone the pages show times in (the portal's).
var moscow = time.FixedZone("MSK", 3*60*60)

// Languages the pages speak; Russian is the default.
const (
	langRU = "ru"
	langEN = "en"
)

// langOf picks the page language: the cookie set by the switch, else the
// browser's Accept-Language, else Russian.
func langOf(r *http.Request) string {
	if c, err := r.Cookie(cookieLang); err == nil && (c.Value == langEN || c.Value == langRU) {
		return c.Value
	}
	if strings.HasPrefix(strings.ToLower(r.Header.Get("Accept-Language")), "en") {
		return langEN
	}
	return langRU
}

// switchLanguage sets the language cookie and goes back to the page.
func (s *Server) switchLanguage(w http.ResponseWriter, r *http.Request) {
	lang := chi.URLParam(r, "lang")
	if lang != langEN {
		lang = langRU
	}
	http.SetCookie(w, s.cookie(cookieLang, lang, 365*24*time.Hour))
	back := r.URL.Query().Get("back")
	if !strings.HasPrefix(back, "/") || strings.HasPrefix(back, "//") {
		back = "/"
	}
	http.Redirect(w, r, back, http.StatusSeeOther)
}

// messages are the pages' texts in each language.
var messages = map[string]map[string]string{
	langRU: {
		"title":            "Личный кабинет иностранного гражданина",
		"home.lead":        "Уведомления, патенты, разрешения и справки — в одном кабинете.",
		"nav.register":     "Регистрация",
		"nav.signin":       "Вход",
		"nav.cabinet":      "Кабинет",
		"nav.services":     "Услуги",
		"nav.logout":       "Выйти",
		"nav.skip":         "Перейти к содержанию",
		"f.surname":        "Фамилия",
		"f.given_names":    "Имя",
		"f.patronymic":     "Отчество (если есть)",
		"f.citizenship":    "Гражданство (код страны, например UZ)",
		"f.phone":          "Мобильный телефон",
		"f.email":          "Электронная почта",
		"f.consent":        "Я даю согласие на обработку персональных данных",
		"f.password":       "Пароль",
		"f.login":          "Телефон или электронная почта",
		"f.code":           "Код из сообщения",
		"f.birth_date":     "Дата рождения (ДД.ММ.ГГГГ)",
		"f.birth_country":  "Страна рождения (код)",
		"f.birth_city":     "Город рождения",
		"f.region":         "Регион",
		"f.city":           "Город",
		"f.street":         "Улица",
		"f.house":          "Дом",
		"f.flat":           "Квартира",
		"f.postal_code":    "Индекс",
		"f.latin":          "Латиницей",
		"f.kind":           "Вид документа",
		"f.type":           "Тип документа",
		"f.series":         "Серия",
		"f.number":         "Номер",
		"f.issued_at":      "Дата выдачи (ДД.ММ.ГГГГ)",
		"f.expires_at":     "Действителен до (ДД.ММ.ГГГГ)",
		"f.issuer":         "Кем выдан",
		"f.file":           "Скан (PDF, JPEG или PNG, до 5 МБ)",
		"b.register":       "Зарегистрироваться",
		"b.confirm":        "Подтвердить",
		"b.resend":         "Отправить код ещё раз",
		"b.signin":         "Войти",
		"b.save":           "Сохранить",
		"b.upload":         "Загрузить",
		"b.submit":         "Подать заявление",
		"confirm.lead":     "Мы отправили код на ваш телефон или почту.",
		"signin.code":      "Введите код, отправленный на",
		"cab.level":        "Уровень учётной записи",
		"cab.contacts":     "Контакты",
		"cab.confirmed":    "подтверждён",
		"cab.unconfirmed":  "не подтверждён",
		"cab.documents":    "Документы",
		"cab.applications": "Заявления",
		"cab.available":    "Доступные услуги",
		"cab.unread":       "Непрочитанные уведомления",
		"cab.next":         "Чтобы повысить уровень",
		"cab.personal":     "Личные данные",
		"cab.adddoc":       "Добавить документ",
		"cab.none":         "нет",
		"level.":           "не подтверждена",
		"level.simplified": "упрощённая",
		"level.standard":   "стандартная",
		"level.confirmed":  "подтверждённая",
		"next.":            "подтвердите телефон или электронную почту",
		"next.simplified":  "заполните личные данные, добавьте документы, СНИЛС и ИНН",
		"next.standard":    "подтвердите личность (центр обслуживания, видео, электронная подпись, банк или письмо)",
		"next.confirmed":   "все услуги доступны",
		"app.history":      "История",
		"app.status":       "Статус",
		"app.number":       "Номер",
		"app.deadline":     "Срок",
		"svc.fee":          "Госпошлина",
		"svc.free":         "бесплатно",
		"svc.documents":    "Документы",
		"err.generic":      "Не удалось выполнить действие. Попробуйте позже.",
		"err.fix":          "Исправьте ошибки в форме.",
		"yes":              "да",
		"no":               "нет",
	},
	langEN: {
		"title":            "Personal cabinet of foreign citizens",
		"home.lead":        "Notifications, patents, permits and certificates in one cabinet.",
		"nav.register":     "Register",
		"nav.signin":       "Sign in",
		"nav.cabinet":      "Cabinet",
		"nav.services":     "Services",
		"nav.logout":       "Sign out",
		"nav.skip":         "Skip to content",
		"f.surname":        "Surname",
		"f.given_names":    "Given names",
		"f.patronymic":     "Patronymic (if any)",
		"f.citizenship":    "Citizenship (country code, e.g. UZ)",
		"f.phone":          "Mobile phone",
		"f.email":          "Email",
		"f.consent":        "I consent to the processing of my personal data",
		"f.password":       "Password",
		"f.login":          "Phone or email",
		"f.code":           "Code from the message",
		"f.birth_date":     "Date of birth (DD.MM.YYYY)",
		"f.birth_country":  "Country of birth (code)",
		"f.birth_city":     "City of birth",
		"f.region":         "Region",
		"f.city":           "City",
		"f.street":         "Street",
		"f.house":          "House",
		"f.flat":           "Flat",
		"f.postal_code":    "Postal code",
		"f.latin":          "In Latin letters",
		"f.kind":           "Kind of document",
		"f.type":           "Document type",
		"f.series":         "Series",
		"f.number":         "Number",
		"f.issued_at":      "Issued on (DD.MM.YYYY)",
		"f.expires_at":     "Valid until (DD.MM.YYYY)",
		"f.issuer":         "Issued by",
		"f.file":           "Scan (PDF, JPEG or PNG, up to 5 MB)",
		"b.register":       "Register",
		"b.confirm":        "Confirm",
		"b.resend":         "Send the code again",
		"b.signin":         "Sign in",
		"b.save":           "Save",
		"b.upload":         "Upload",
		"b.submit":         "Submit the application",
		"confirm.lead":     "We sent a code to your phone or email.",
		"signin.code":      "Enter the code sent to",
		"cab.level":        "Account level",
		"cab.contacts":     "Contacts",
		"cab.confirmed":    "confirmed",
		"cab.unconfirmed":  "not confirmed",
		"cab.documents":    "Documents",
		"cab.applications": "Applications",
		"cab.available":    "Available services",
		"cab.unread":       "Unread notifications",
		"cab.next":         "To reach the next level",
		"cab.personal":     "Personal data",
		"cab.adddoc":       "Add a document",
		"cab.none":         "none",
		"level.":           "unconfirmed",
		"level.simplified": "simplified",
		"level.standard":   "standard",
		"level.confirmed":  "confirmed",
		"next.":            "confirm your phone or email",
		"next.simplified":  "fill in your personal data, add documents, SNILS and INN",
		"next.standard":    "verify your identity (service centre, video, e-signature, bank or letter)",
		"next.confirmed":   "every service is open to you",
		"app.history":      "History",
		"app.status":       "Status",
		"app.number":       "Number",
		"app.deadline":     "Deadline",
		"svc.fee":          "State duty",
		"svc.free":         "free",
		"svc.documents":    "Documents",
		"err.generic":      "The action failed. Please try again later.",
		"err.fix":          "Please correct the errors in the form.",
		"yes":              "yes",
		"no":               "no",
	},
}

// funcs are the template helpers: t translates a key, loc picks the
// person's language from a {ru, en} object of the API.
var funcs = template.FuncMap{
	"dict": func(kv ...any) map[string]any {
		m := make(map[string]any, len(kv)/2)
		for i := 0; i+1 < len(kv); i += 2 {
			k, _ := kv[i].(string)
			m[k] = kv[i+1]
		}
		return m
	},
	"when": func(v any) string {
		s, _ := v.(string)
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return s
		}
		return t.In(moscow).Format("02.01.2006 15:04") + " MSK"
	},
	"parts": func() []string { return []string{"region", "city", "street", "house", "flat", "postal_code"} },
	"inputType": func(fieldType string) string {
		switch fieldType {
		case "date":
			return "date"
		case "int":
			return "number"
		}
		return "text"
	},
	"fee": func(kopecks any) string {
		k, _ := kopecks.(float64)
		return strconv.FormatFloat(k/100, 'f', 2, 64)
	},
	"t": func(lang, key string) string {
		if m, ok := messages[lang][key]; ok {
			return m
		}
		return messages[langRU][key]
	},
	"loc": func(lang string, v any) string {
		m, _ := v.(map[string]any)
		if s, ok := m[lang].(string); ok && s != "" {
			return s
		}
		s, _ := m[langRU].(string)
		return s
	},
}
