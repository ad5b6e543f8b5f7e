// Package compose writes every email Vivier sends: it owns the kinds of
// email, the queue of each, their templates (templates/email), the
// default and per-posting wordings with their variables, and the
// rendering. A Composer, built once per process from the configuration,
// fills what every email shares (the operator, the data notice, the
// links) and turns domain values into a ready repository.Email, or into
// the texts a close or a retention run writes for many applicants at
// once. Callers write the result in their own transaction.
//
// Adding a kind of email: a constant below, its entry in kindTable, its
// two templates, a constructor in composer.go, and its caller.
package compose

import (
	"slices"

	"vivier/internal/catalog"
	"vivier/repository"
	"vivier/workers/tasks"
)

// Kind is a kind of email, as stored in emails.kind.
type Kind string

// Kinds of email.
const (
	Acknowledgement         Kind = "acknowledgement"           // to the applicant: received, with the private link
	ContactNotification     Kind = "contact_notification"      // to the contact: a new application
	PrivateLink             Kind = "private_link"              // to an applicant who applied again: a new private link
	LostLink                Kind = "lost_link"                 // to an applicant who asked for their link again: a new private link
	WithdrawnContact        Kind = "withdrawn_contact"         // to the contact: an applicant withdrew
	WithdrawalUndoneContact Kind = "withdrawal_undone_contact" // to the contact: the withdrawal was taken back
	ErasedContact           Kind = "erased_contact"            // to the contact: an applicant erased their data
	SignInLink              Kind = "sign_in_link"              // to a reviewer: a sign-in link
	StatusUpdate            Kind = "status_update"             // to the applicant: a new status
	CloseSummary            Kind = "close_summary"             // to the contact: what a close sent
	RetentionNotice         Kind = "retention_notice"          // to the applicant: their data will be erased
	RetentionNoticeContact  Kind = "retention_notice_contact"  // to the contact: the same, for the posting
	ReviewerDigest          Kind = "reviewer_digest"           // to a reviewer: the day's new applications and replies, and those waiting
	WaitingReminder         Kind = "waiting_reminder"          // to a contact told at once: the applications waiting, weekly
	NoteMention             Kind = "note_mention"              // to a reviewer: mentioned in a note
	Message                 Kind = "message"                   // to the applicant: written by a reviewer
	ReplyNotification       Kind = "reply_notification"        // to the contact and reviewers: the applicant answered
	InterviewSlots          Kind = "interview_slots"           // to the applicant: slots to pick from, with the private link
	InterviewInvitation     Kind = "interview_invitation"      // to the applicant and each attending reviewer: the invitation (METHOD:REQUEST)
	InterviewUpdate         Kind = "interview_update"          // to the same: the interview moved (METHOD:REQUEST, SEQUENCE raised)
	InterviewCancelled      Kind = "interview_cancelled"       // to the same: the interview cancelled (METHOD:CANCEL)
	InterviewReminder       Kind = "interview_reminder"        // to the same: the interview is in 24 hours
	InterviewNoneFits       Kind = "interview_none_fits"       // to the contact: no slot fits the applicant, with their message
)

// WrittenByPerson reports whether emails of kind k are written by a
// person (a reviewer's message) rather than sent automatically: they are
// not marked Auto-Submitted, so that the applicant's own automatic
// replies answer them as they would answer anyone.
func (k Kind) WrittenByPerson() bool { return k == Message }

// CloseUpdate is the kind of the update a close writes to group g: each
// group's is a kind of its own, rendered by the close_update templates.
func CloseUpdate(g catalog.CloseGroup) Kind { return Kind(g) }

// kindInfo is what a kind is made of.
type kindInfo struct {
	template string // templates/email/<template>.txt and .html
	queue    string // the asynq queue its emails go on
}

// kindTable lists every kind.
func kindTable() map[Kind]kindInfo {
	t := map[Kind]kindInfo{}
	for _, k := range []Kind{Acknowledgement, ContactNotification, PrivateLink, LostLink, WithdrawnContact, WithdrawalUndoneContact,
		ErasedContact, StatusUpdate, CloseSummary, RetentionNotice, RetentionNoticeContact,
		ReviewerDigest, WaitingReminder, NoteMention, Message, ReplyNotification,
		InterviewSlots, InterviewInvitation, InterviewUpdate, InterviewCancelled, InterviewReminder, InterviewNoneFits} {
		t[k] = kindInfo{template: string(k), queue: tasks.QueueDefault}
	}
	// A person waits for it, on the sign-in page: it jumps the line.
	t[SignInLink] = kindInfo{template: string(SignInLink), queue: tasks.QueueCritical}
	for _, g := range catalog.CloseGroups() {
		t[CloseUpdate(g)] = kindInfo{template: "close_update", queue: tasks.QueueDefault}
	}
	return t
}

var kinds = kindTable()

// Kinds lists every kind of email, in alphabetical order.
func Kinds() []Kind {
	out := make([]Kind, 0, len(kinds))
	for k := range kinds {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// Queue is the queue the emails of kind k go on (the default queue for a
// kind this version does not know).
func (k Kind) Queue() string {
	if info, ok := kinds[k]; ok {
		return info.queue
	}
	return tasks.QueueDefault
}

// Outgoing is what the enqueuer needs of written emails: each one's id,
// its kind's queue and when it may leave.
func Outgoing(emails ...*repository.Email) []tasks.Outgoing {
	out := make([]tasks.Outgoing, len(emails))
	for i, e := range emails {
		out[i] = tasks.Outgoing{ID: e.ID, Queue: Kind(e.Kind).Queue(), SendAfter: e.SendAfter}
	}
	return out
}

// CloseKinds are the kinds of the emails a close writes: each group's
// update, the summary to the contact, and the cancellations of the
// interviews it cancels.
func CloseKinds() []string {
	var out []string
	for _, g := range catalog.CloseGroups() {
		out = append(out, string(CloseUpdate(g)))
	}
	return append(out, string(CloseSummary), string(InterviewCancelled))
}
