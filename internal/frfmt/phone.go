package frfmt

import "github.com/nyaruka/phonenumbers"

// Phone formats a number stored in E.164 ("+33612345678") for reading:
// a French number as it is dialled in France ("06 12 34 56 78"), another
// with its country code, in groups ("+32 470 12 34 56"). A value that is
// not a number is returned as it is.
func Phone(e164 string) string {
	n, err := phonenumbers.Parse(e164, "FR")
	if err != nil || e164 == "" {
		return e164
	}
	if n.GetCountryCode() == 33 {
		return phonenumbers.Format(n, phonenumbers.NATIONAL)
	}
	return phonenumbers.Format(n, phonenumbers.INTERNATIONAL)
}
