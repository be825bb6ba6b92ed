package notifications

import (
	"fmt"
	"strings"

	"github.com/kabinet/kabinet/domain"
)

// message is what a notification says: a short title (an email's subject)
// and the text, in Russian, the portal's language.
type message struct {
	kind  string
	title string
	text  string
}

// Notification kinds.
const (
	KindVerification = "verification"
	KindApplication  = "application"
	KindDigest       = "digest"
	KindLevel        = "level"
)

var levelRU = map[string]string{
	"":           "без уровня",
	"simplified": "упрощённая",
	"standard":   "стандартная",
	"confirmed":  "подтверждённая",
}

// levelReasonRU says why a level dropped and what brings it back.
var levelReasonRU = map[string]string{
	domain.ReasonIdentityDataChanged:  "Вы изменили данные личности — подтвердите личность снова.",
	domain.ReasonLevelDocumentExpired: "Истёк срок действия документа — добавьте действующий документ.",
	domain.ReasonLevelSnilsUnlinked:   "СНИЛС не подтверждён для новых данных — привяжите его снова.",
}

var methodRU = map[string]string{
	"service_center": "в центре обслуживания",
	"e_signature":    "электронной подписью",
	"bank":           "через банк",
	"russian_post":   "кодом из письма Почты России",
	"video":          "по видеосвязи",
}

// reasonRU are the rejection reasons of docs/DOMAIN.md §4 and §6 as the citizen reads them.
var reasonRU = map[string]string{
	"data_mismatch":         "данные не совпадают с документами",
	"document_expired":      "срок действия документа истёк",
	"scan_unreadable":       "скан документа не читается",
	"missing_fields":        "не заполнены обязательные поля",
	"unsupported_document":  "документ не принимается",
	"no_legal_stay":         "нет действующего документа о праве пребывания",
	"registry_mismatch":     "данные не подтверждены реестром",
	"documents_missing":     "не хватает документов",
	"documents_invalid":     "документы недействительны",
	"not_eligible":          "нет права на услугу",
	"fee_not_paid":          "госпошлина не оплачена",
	"clarification_timeout": "уточнение не получено в срок",
	"other":                 "другое",
}

func reasons(codes []string) string {
	out := make([]string, len(codes))
	for i, c := range codes {
		if r, ok := reasonRU[c]; ok {
			out[i] = r
		} else {
			out[i] = c
		}
	}
	return strings.Join(out, "; ")
}

// verificationMessage is the notice of a verification outcome, or false
// for events that are not one.
func verificationMessage(e domain.Event) (message, bool) {
	switch e := e.(type) {
	case domain.IdentityVerified:
		how := methodRU[e.Method.String()]
		return message{KindVerification, "Личность подтверждена",
			strings.TrimSpace("Ваша личность подтверждена " + how + ".")}, true
	case domain.IdentityVerificationRejected:
		text := "В подтверждении личности отказано. Причины: " + reasons(e.Reasons) + "."
		if e.Comment != "" {
			text += " Комментарий: " + e.Comment + "."
		}
		return message{KindVerification, "В подтверждении личности отказано",
			text + " Исправьте данные и подайте запрос снова."}, true
	case domain.VerificationDeadlineExtended:
		return message{KindVerification, "Срок проверки личности продлён",
			"Срок проверки личности продлён до " + e.NewDeadline.Russian() + "."}, true
	case domain.IdentityVerificationCancelled:
		return message{KindVerification, "Проверка личности отменена",
			"Проверка личности " + methodRU[e.Method.String()] + " отменена: вы изменили данные, которые она проверяла. Подайте запрос снова."}, true
	case domain.AccountLevelLowered:
		return message{KindLevel, "Уровень учётной записи понижен",
			"Уровень учётной записи понижен: " + levelRU[e.From.String()] + " → " + levelRU[e.To.String()] + ". " + levelReasonRU[e.Reason]}, true
	}
	return message{}, false
}

// applicationMessage is the notice of an application's status change.
func applicationMessage(app appInfo, e domain.Event, status string) message {
	name := app.Service
	if svc, ok := domain.ServiceByCode(app.Service); ok {
		name = svc.Name.RU
	}
	label := domain.StatusLabel(status)
	head := fmt.Sprintf("Заявление № %s «%s»", app.Number, name)
	text := head + ": статус «" + label + "»."
	switch e := e.(type) {
	case domain.ApplicationSubmitted:
		text = head + " отправлено."
		if !e.Deadline.IsZero() {
			text += " Срок рассмотрения — до " + e.Deadline.Russian() + "."
		}
	case domain.FeeCharged:
		text += fmt.Sprintf(" Оплатите госпошлину: %s.", rubles(e.Amount, e.Currency))
	case domain.FeePaid:
		text = head + ": оплата получена, заявление принято. Срок рассмотрения — до " + e.Deadline.Russian() + "."
	case domain.ClarificationRequested:
		text += " " + sentence(e.Comment) + " Ответьте до " + e.Due.Russian() + "."
	case domain.ApplicationApproved:
		text += " Результат: " + e.ResultDocument.Type + " № " + e.ResultDocument.Number + "."
	case domain.ApplicationRejected:
		text += " Причины: " + reasons(e.Reasons) + "."
		if e.Comment != "" {
			text += " " + sentence(e.Comment)
		}
		if len(e.MissingDocuments) > 0 {
			text += " Недостающие документы: " + strings.Join(e.MissingDocuments, ", ") + "."
		}
	case domain.ApplicationResubmitted:
		text += " Исправленное заявление снова на рассмотрении до " + e.Deadline.Russian() + "."
	case domain.ComplaintUpheld:
		text = head + ": жалоба удовлетворена, заявление снова на рассмотрении до " + e.Deadline.Russian() + "."
	}
	return message{KindApplication, head + ": " + label, text}
}

// sentence ends s with a full stop unless it already ends a sentence.
func sentence(s string) string {
	s = strings.TrimSpace(s)
	if s == "" || strings.HasSuffix(s, ".") || strings.HasSuffix(s, "!") || strings.HasSuffix(s, "?") {
		return s
	}
	return s + "."
}

func rubles(kopecks int64, currency string) string {
	if currency != "" && currency != domain.CurrencyRUB {
		return fmt.Sprintf("%d.%02d %s", kopecks/100, kopecks%100, currency)
	}
	if kopecks%100 == 0 {
		return fmt.Sprintf("%d ₽", kopecks/100)
	}
	return fmt.Sprintf("%d,%02d ₽", kopecks/100, kopecks%100)
}

// digestMessage sums up held notifications in one.
func digestMessage(frequency string, texts []string) message {
	period := "день"
	if frequency == domain.FrequencyWeekly {
		period = "неделю"
	}
	title := fmt.Sprintf("Сводка уведомлений за %s (%d)", period, len(texts))
	var b strings.Builder
	b.WriteString(title + ":")
	for _, t := range texts {
		b.WriteString("\n— " + t)
	}
	return message{KindDigest, title, b.String()}
}
