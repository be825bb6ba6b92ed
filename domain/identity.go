package domain

// identityEventTypes are the events of personal data, documents, identity
// verification, SNILS/INN and notification preferences.
var identityEventTypes = []eventType{}

// identity is the account's identity state: personal data, documents,
// verification and identifiers.
type identity struct{}

// apply folds one identity event; others leave it unchanged.
func (s *identity) apply(e Event) {}
