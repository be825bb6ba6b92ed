package notifications

import (
	"fmt"
	"time"

	"github.com/kabinet/kabinet/domain"
)

// Notification kinds of the rest of the cabinet (docs/DOMAIN.md §12).
const (
	KindSupport     = "support"
	KindAppointment = "appointment"
	KindComplaint   = "complaint"
	KindFine        = "fine"
	KindReminder    = "reminder"
)

// deskRelevant are the desk's event types that make notifications.
var deskRelevant = []string{
	"SupportRequestOpened", "SupportMessagePosted", "SupportRequestResolved",
	"AppointmentReadyForVisit", "AppointmentRescheduled", "AppointmentCancelled",
	"ComplaintFiled", "ComplaintUpheld", "ComplaintDismissed",
	"FinePaid", "FinePaymentRefused", "FinePaymentRefunded", "DocumentExpiryReminded",
}

// documentRU names the documents a reminder is about.
var documentRU = map[string]string{
	domain.DocForeignPassport: "паспорта", domain.DocResidencePermit: "вида на жительство",
	domain.DocTemporaryResidencePermit: "РВП", domain.DocPatent: "патента", domain.DocWorkPermit: "разрешения на работу",
	domain.DocMigrationCard: "миграционной карты", domain.DocVisa: "визы", domain.DocStayRegistration: "регистрации",
}

// deskMessage is the notice of a support answer, a visit's confirmation
// or change, a complaint's outcome, a fine payment or an expiry reminder,
// or false for other events (and for the citizen's own support messages).
// ComplaintUpheld is an application event: its notice is the status one.
func deskMessage(e domain.Event) (message, bool) {
	switch e := e.(type) {
	case domain.SupportRequestOpened:
		return message{KindSupport, "Обращение № " + e.Number + " зарегистрировано",
			"Обращение № " + e.Number + " «" + e.Topic + "» зарегистрировано. Ответ — до " + msk(e.FirstAnswerDue) + " (МСК)."}, true
	case domain.SupportMessagePosted:
		if e.ByRole != "operator" {
			return message{}, false
		}
		return message{KindSupport, "Ответ на обращение", "Оператор ответил на ваше обращение: " + sentence(e.Text)}, true
	case domain.SupportRequestResolved:
		return message{KindSupport, "Обращение решено", "Ваше обращение решено. Если вопрос остался, напишите в том же обращении."}, true
	case domain.AppointmentReadyForVisit:
		return message{KindAppointment, "Запись подтверждена: талон " + e.Ticket,
			"Документы проверены, запись готова к визиту. Электронный талон № " + e.Ticket + " с QR-кодом — в личном кабинете."}, true
	case domain.AppointmentRescheduled:
		return message{KindAppointment, "Запись перенесена", "Визит в " + officeName(e.OfficeID) + " перенесён на " + msk(e.Slot) + " (МСК)."}, true
	case domain.AppointmentCancelled:
		return message{KindAppointment, "Запись отменена", "Визит в " + officeName(e.OfficeID) + " на " + msk(e.Slot) + " (МСК) отменён."}, true
	case domain.ComplaintFiled:
		return message{KindComplaint, "Жалоба принята", "Жалоба на отказ принята и будет рассмотрена другим сотрудником."}, true
	case domain.ComplaintDismissed:
		return message{KindComplaint, "Жалоба отклонена", "Жалоба на отказ отклонена, отказ остаётся в силе. " + sentence(e.Comment)}, true
	case domain.FinePaid:
		return message{KindFine, "Оплата получена", fmt.Sprintf("Оплата %s по начислению № %s получена.", rubles(e.Amount, e.Currency), e.FineID)}, true
	case domain.FinePaymentRefused:
		return message{KindFine, "Платёж будет возвращён", fmt.Sprintf("Платёж %s по начислению № %s не зачтён; деньги вернутся до %s.",
			rubles(e.Amount, e.Currency), e.FineID, e.RefundDue.Russian())}, true
	case domain.FinePaymentRefunded:
		return message{KindFine, "Платёж возвращён", "Незачтённый платёж по начислению № " + e.FineID + " возвращён."}, true
	case domain.DocumentExpiryReminded:
		doc := documentRU[e.Type]
		if doc == "" {
			doc = "документа"
		}
		return message{KindReminder, "Истекает срок документа", fmt.Sprintf("Срок действия %s истекает %s (через %d дн.). Продлите документ заранее.",
			doc, e.ExpiresAt.Russian(), e.DaysBefore)}, true
	}
	return message{}, false
}

func officeName(id string) string {
	if o, ok := domain.OfficeByID(id); ok {
		return o.Name.RU
	}
	return id
}

func msk(t time.Time) string { return t.In(domain.Moscow).Format("02.01.2006 15:04") }
