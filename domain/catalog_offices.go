package domain

import (
	"slices"
	"time"
)

// Office kinds (docs/DOMAIN.md §12: where a visit can be booked).
const (
	OfficeServiceCentre   = "service_centre"
	OfficeMigrationOffice = "migration_office"
	OfficeTaxOffice       = "tax_office"
	OfficePensionFund     = "pension_fund"
)

// PurposeIdentityVerification is the appointment purpose of a service-centre
// identity verification (docs/DOMAIN.md §4, method service_center); every other
// purpose is a service code of the catalog.
const PurposeIdentityVerification = "identity_verification"

// Hours are an office's opening hours on one weekday, in Moscow minutes
// after midnight; Open == Close is a day off.
type Hours struct {
	Open  int `json:"open"`
	Close int `json:"close"`
}

// Office is one place a visit can be booked at: the purposes it serves,
// its weekly hours and the length of one slot (one visitor per slot).
type Office struct {
	ID          string   `json:"office_id"`
	Kind        string   `json:"kind"`
	Name        Text     `json:"name"`
	Address     string   `json:"address"`
	Purposes    []string `json:"purposes"`
	Week        [7]Hours `json:"-"` // by time.Weekday
	SlotMinutes int      `json:"slot_minutes"`
}

func hm(h, m int) int { return h*60 + m }

var (
	weekdays9to18   = [7]Hours{{}, {hm(9, 0), hm(18, 0)}, {hm(9, 0), hm(18, 0)}, {hm(9, 0), hm(18, 0)}, {hm(9, 0), hm(18, 0)}, {hm(9, 0), hm(16, 45)}, {}}
	everyday8to20   = [7]Hours{{hm(10, 0), hm(18, 0)}, {hm(8, 0), hm(20, 0)}, {hm(8, 0), hm(20, 0)}, {hm(8, 0), hm(20, 0)}, {hm(8, 0), hm(20, 0)}, {hm(8, 0), hm(20, 0)}, {hm(10, 0), hm(18, 0)}}
	weekdays10to17  = [7]Hours{{}, {hm(10, 0), hm(17, 0)}, {hm(10, 0), hm(17, 0)}, {hm(10, 0), hm(17, 0)}, {hm(10, 0), hm(17, 0)}, {hm(10, 0), hm(17, 0)}, {}}
	migrationWeek   = [7]Hours{{}, {hm(9, 0), hm(18, 0)}, {hm(9, 0), hm(18, 0)}, {hm(9, 0), hm(18, 0)}, {hm(9, 0), hm(18, 0)}, {hm(9, 0), hm(18, 0)}, {hm(10, 0), hm(14, 0)}}
	migrationPurpos = []string{ServiceArrivalNotification, ServiceStayRegistration, ServiceResidenceRegistration,
		ServicePatent, ServiceWorkPermit, ServiceRVP, ServiceVNZh}
)

// officeEntries is the declarative catalog of offices, in the order shown.
var officeEntries = []Office{
	{ID: "mfc-tverskoy", Kind: OfficeServiceCentre, Name: Text{"МФЦ района Тверской", "Tverskoy service centre"},
		Address: "Москва, ул. Тверская, 8", SlotMinutes: 15, Week: everyday8to20,
		Purposes: []string{PurposeIdentityVerification, ServiceCertificate, ServiceArrivalNotification, ServiceInnIssue, ServiceSnilsIssue}},
	{ID: "mfc-sokolniki", Kind: OfficeServiceCentre, Name: Text{"МФЦ района Сокольники", "Sokolniki service centre"},
		Address: "Москва, ул. Русаковская, 31", SlotMinutes: 20, Week: weekdays9to18,
		Purposes: []string{PurposeIdentityVerification, ServiceCertificate, ServiceInnIssue, ServiceSnilsIssue}},
	{ID: "mmc-sakharovo", Kind: OfficeMigrationOffice, Name: Text{"Миграционный центр «Сахарово»", "Sakharovo migration centre"},
		Address: "Москва, пос. Сахарово, 1", SlotMinutes: 30, Week: migrationWeek, Purposes: migrationPurpos},
	{ID: "ifns-7710", Kind: OfficeTaxOffice, Name: Text{"ИФНС России № 10 по г. Москве", "Tax office no. 10, Moscow"},
		Address: "Москва, ул. Большая Тульская, 15", SlotMinutes: 20, Week: weekdays9to18,
		Purposes: []string{ServiceInnIssue}},
	{ID: "sfr-moscow-1", Kind: OfficePensionFund, Name: Text{"Клиентская служба СФР № 1", "Social Fund client office no. 1"},
		Address: "Москва, ул. Долгоруковская, 2", SlotMinutes: 30, Week: weekdays10to17,
		Purposes: []string{ServiceSnilsIssue}},
}

// Offices returns the offices serving purpose ("" for every office).
func Offices(purpose string) []Office {
	var out []Office
	for _, o := range officeEntries {
		if purpose == "" || slices.Contains(o.Purposes, purpose) {
			c := o
			c.Purposes = slices.Clone(o.Purposes)
			out = append(out, c)
		}
	}
	return out
}

// OfficeByID returns the office with id, if there is one.
func OfficeByID(id string) (Office, bool) {
	for _, o := range Offices("") {
		if o.ID == id {
			return o, true
		}
	}
	return Office{}, false
}

// Slot returns the slot length.
func (o Office) Slot() time.Duration { return time.Duration(o.SlotMinutes) * time.Minute }

// Slots lists every slot start of day (Moscow), booked or not; a holiday
// of cal is a day off whatever the weekday.
func (o Office) Slots(day Date, cal *Calendar) []time.Time {
	h := o.Week[day.Weekday()]
	if h.Open >= h.Close || (cal != nil && day.Weekday() >= time.Monday && day.Weekday() <= time.Friday && !cal.IsWorkingDay(day)) {
		return nil
	}
	start := day.Time(Moscow)
	var out []time.Time
	for m := h.Open; m+o.SlotMinutes <= h.Close; m += o.SlotMinutes {
		out = append(out, start.Add(time.Duration(m)*time.Minute).UTC())
	}
	return out
}

// IsSlot reports whether t starts one of the office's slots.
func (o Office) IsSlot(t time.Time, cal *Calendar) bool {
	return slices.ContainsFunc(o.Slots(MoscowDate(t), cal), func(s time.Time) bool { return s.Equal(t) })
}
