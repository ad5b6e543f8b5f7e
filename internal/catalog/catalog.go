// Package catalog is Vivier's vocabulary: where an application stands,
// the state of a posting and the groups of applicants a close writes to,
// as typed values with their French labels. It is the one place these
// words are written: the repository passes them to SQL as parameters,
// pages and emails show their labels. It imports nothing of Vivier's.
package catalog

import "slices"

// Status is where an application stands.
type Status string

// Application statuses, in pipeline order, and the applicant's withdrawal.
const (
	StatusReceived    Status = "received"
	StatusInReview    Status = "in_review"
	StatusShortlisted Status = "shortlisted"
	StatusInterview   Status = "interview"
	StatusAccepted    Status = "accepted"
	StatusRejected    Status = "rejected"
	StatusWithdrawn   Status = "withdrawn"
)

var statusLabels = map[Status]string{
	StatusReceived:    "Reçue",
	StatusInReview:    "En cours d'examen",
	StatusShortlisted: "Présélectionnée",
	StatusInterview:   "Entretien",
	StatusAccepted:    "Retenue",
	StatusRejected:    "Non retenue",
	StatusWithdrawn:   "Retirée",
}

// Pipeline lists the statuses a reviewer may set, in order.
func Pipeline() []Status {
	return []Status{StatusReceived, StatusInReview, StatusShortlisted, StatusInterview, StatusAccepted, StatusRejected}
}

// Stages are the steps an application climbs towards being retained, in
// order: the figures' conversion from each to the next.
func Stages() []Status {
	return []Status{StatusReceived, StatusInReview, StatusShortlisted, StatusInterview, StatusAccepted}
}

// Decisions are the final answers to an application.
func Decisions() []Status { return []Status{StatusAccepted, StatusRejected} }

// Statuses lists every status: the pipeline, then withdrawn.
func Statuses() []Status { return append(Pipeline(), StatusWithdrawn) }

// Label is the status's French name ("En cours d'examen"); an unknown
// status is shown as it is.
func (s Status) Label() string {
	if l, ok := statusLabels[s]; ok {
		return l
	}
	return string(s)
}

// Valid reports whether s is one of the statuses.
func (s Status) Valid() bool { return slices.Contains(Statuses(), s) }

// ReviewerMaySet reports whether a reviewer may move an application to s
// (any status of the pipeline; only the applicant withdraws).
func (s Status) ReviewerMaySet() bool { return slices.Contains(Pipeline(), s) }

// PostingState is where a posting stands: draft → open → closed →
// archived, and back to open from closed.
type PostingState string

// Posting states.
const (
	PostingDraft    PostingState = "draft"
	PostingOpen     PostingState = "open"
	PostingClosed   PostingState = "closed"
	PostingArchived PostingState = "archived"
)

var postingLabels = map[PostingState]string{
	PostingDraft:    "Brouillon",
	PostingOpen:     "Ouverte",
	PostingClosed:   "Close",
	PostingArchived: "Archivée",
}

// Label is the state's French name, capitalised ("Ouverte"); an unknown
// state has none.
func (s PostingState) Label() string { return postingLabels[s] }

// CloseGroup is a group of applicants a close writes to, by where their
// application stands. Its value is also the kind of the emails it gets
// and the key of its wording.
type CloseGroup string

// Close groups, in the order pages show them.
const (
	CloseInReview  CloseGroup = "close_in_review" // received, in review, shortlisted
	CloseInterview CloseGroup = "close_interview" // interview: their interview goes on
	CloseAccepted  CloseGroup = "close_accepted"  // accepted: only when the contact wrote a message
	CloseRejected  CloseGroup = "close_rejected"  // rejected and not yet told
)

// CloseGroups lists the groups in the order pages show them.
func CloseGroups() []CloseGroup {
	return []CloseGroup{CloseInReview, CloseInterview, CloseAccepted, CloseRejected}
}

type closeGroup struct {
	statuses []Status
	// announces is the status the group's email announces, recorded on
	// it; untoldOnly leaves out those told of it already (a rejection
	// told is not told again).
	announces  Status
	untoldOnly bool
	// label and hint head the group on the close page; wording names its
	// email in the wordings' editor.
	label, hint, wording string
}

var closeGroups = map[CloseGroup]closeGroup{
	CloseInReview: {statuses: []Status{StatusReceived, StatusInReview, StatusShortlisted},
		label:   "Candidatures encore à l'étude",
		hint:    "Reçues, en cours d'examen ou présélectionnées : elles apprennent que les candidatures sont closes et que la leur est toujours examinée.",
		wording: "Clôture : candidatures encore à l'étude"},
	CloseInterview: {statuses: []Status{StatusInterview},
		label:   "Candidatures en entretien",
		hint:    "Elles apprennent que les candidatures sont closes et que leur entretien se poursuit ; un entretien à venir pris dans Vivier est annulé, et son annulation jointe à ce message.",
		wording: "Clôture : candidatures en entretien"},
	CloseAccepted: {statuses: []Status{StatusAccepted}, announces: StatusAccepted,
		label:   "Candidatures retenues",
		hint:    "Elles ne reçoivent rien de nouveau, sauf si vous leur écrivez ici : laissez l'objet vide pour ne rien envoyer.",
		wording: "Clôture : candidatures retenues"},
	CloseRejected: {statuses: []Status{StatusRejected}, announces: StatusRejected, untoldOnly: true,
		label:   "Candidatures non retenues, pas encore prévenues",
		hint:    "Un message courtois leur annonce que leur candidature n'est pas retenue. Les personnes déjà prévenues ne reçoivent rien.",
		wording: "Clôture : candidatures non retenues"},
}

// Statuses are the statuses of the group's applications (the rejected
// group takes, among them, those not yet told).
func (g CloseGroup) Statuses() []Status { return slices.Clone(closeGroups[g].statuses) }

// Announces is the status the group's email announces ("" for none).
func (g CloseGroup) Announces() Status { return closeGroups[g].announces }

// UntoldOnly reports whether the group leaves out the applicants already
// told of the status it announces.
func (g CloseGroup) UntoldOnly() bool { return closeGroups[g].untoldOnly }

// Label heads the group on the close page.
func (g CloseGroup) Label() string { return closeGroups[g].label }

// Hint says, on the close page, who the group is and what it gets.
func (g CloseGroup) Hint() string { return closeGroups[g].hint }

// WordingLabel names the group's email in the wordings' editor.
func (g CloseGroup) WordingLabel() string { return closeGroups[g].wording }

// Valid reports whether g is one of the groups.
func (g CloseGroup) Valid() bool { _, ok := closeGroups[g]; return ok }

// Notify is how often a reviewer of a posting hears of its new
// applications and of applicants' replies.
type Notify string

// Notification frequencies, in the order the preference page offers them.
const (
	NotifyAtOnce Notify = "at_once" // an email for each, as it arrives
	NotifyDaily  Notify = "daily"   // one digest a day, at 08:00 Paris time, when there is something new
	NotifyNever  Notify = "none"    // no email (mentions still arrive)
)

type notifyInfo struct{ label, hint string }

var notifyInfos = map[Notify]notifyInfo{
	NotifyAtOnce: {"À chaque nouveauté",
		"Un email pour chaque nouvelle candidature et chaque réponse d'un·e candidat·e, dès son arrivée."},
	NotifyDaily: {"Un récapitulatif par jour",
		"Un seul email, chaque matin à 8 h (heure de Paris), qui liste les candidatures et les réponses arrivées depuis le précédent ; rien les jours sans nouveauté."},
	NotifyNever: {"Aucun email",
		"Vous consultez les candidatures dans votre espace quand vous le souhaitez."},
}

// NotifyChoices lists the frequencies in the order pages offer them.
func NotifyChoices() []Notify { return []Notify{NotifyAtOnce, NotifyDaily, NotifyNever} }

// Label is the frequency's French name.
func (n Notify) Label() string { return notifyInfos[n].label }

// Hint says in French what the frequency sends.
func (n Notify) Hint() string { return notifyInfos[n].hint }

// Valid reports whether n is one of the frequencies.
func (n Notify) Valid() bool { _, ok := notifyInfos[n]; return ok }

// DefaultNotify is a reviewer's frequency for a posting they have not
// chosen one for: at once for the posting's contact, none for others.
func DefaultNotify(contact bool) Notify {
	if contact {
		return NotifyAtOnce
	}
	return NotifyNever
}

// InterviewMode is how an interview takes place.
type InterviewMode string

// Interview modes.
const (
	InterviewInPerson InterviewMode = "in_person" // at an address
	InterviewPhone    InterviewMode = "phone"     // the reviewer calls the applicant
	InterviewVideo    InterviewMode = "video"     // at an https link
)

var interviewModeLabels = map[InterviewMode]string{
	InterviewInPerson: "Sur place",
	InterviewPhone:    "Par téléphone",
	InterviewVideo:    "En visioconférence",
}

// InterviewModes lists the modes in the order forms offer them.
func InterviewModes() []InterviewMode {
	return []InterviewMode{InterviewVideo, InterviewPhone, InterviewInPerson}
}

// Label is the mode's French name ("En visioconférence").
func (m InterviewMode) Label() string { return interviewModeLabels[m] }

// Valid reports whether m is one of the modes.
func (m InterviewMode) Valid() bool { _, ok := interviewModeLabels[m]; return ok }

// InterviewState is where an interview stands: booked (picked, still on,
// moved or not) or cancelled (by either side, or by the posting's close).
type InterviewState string

// Interview states.
const (
	InterviewBooked    InterviewState = "booked"
	InterviewCancelled InterviewState = "cancelled"
)

var interviewStateLabels = map[InterviewState]string{
	InterviewBooked:    "Prévu",
	InterviewCancelled: "Annulé",
}

// InterviewStates lists the states.
func InterviewStates() []InterviewState { return []InterviewState{InterviewBooked, InterviewCancelled} }

// Label is the state's French name ("Prévu").
func (s InterviewState) Label() string { return interviewStateLabels[s] }
