package domain

// Erased is what a personal field shows once its account's key was
// destroyed (docs/DOMAIN.md §11).
const Erased = "[erased]"

// personalNames are the JSON fields that hold personal data (docs/DOMAIN.md
// §11: names, birth data, contacts, addresses, document numbers, SNILS,
// INN) in any event: stored encrypted with the account's key.
var personalNames = []string{
	"surname", "given_names", "patronymic", "latin", "birth_date", "birth_place",
	"address_ru", "address_abroad", "address", "phone", "email", "value", "replaces", "contact",
	"snils", "snils_masked", "inn", "inn_masked", "series", "document_number",
	"form", "certificate_serial", "subject_name",
	// What a person or an operator writes about the person: support
	// requests and messages, complaints, decisions' comments.
	"topic", "text", "corrections", "comment",
}

// personalByType adds fields personal only in one event type, where the
// name means something else elsewhere ("number" of an application is not
// personal, a document's is).
var personalByType = map[string][]string{
	"DocumentAdded":       {"number"},
	"ApplicationApproved": {"result_document"},
}

// PersonalFields lists the top-level JSON fields of an event of type typ
// that may hold personal data; an event may carry any subset of them.
func PersonalFields(typ string) []string {
	extra := personalByType[typ]
	if len(extra) == 0 {
		return personalNames
	}
	return append(append([]string(nil), personalNames...), extra...)
}

// PersonalMetadata lists the metadata fields that are personal (docs/DOMAIN.md
// §8, §11): where a command came from.
func PersonalMetadata() []string { return []string{"source_ip", "user_agent"} }
