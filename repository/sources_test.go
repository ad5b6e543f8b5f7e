package repository_test

import (
	"errors"
	"reflect"
	"testing"

	"vivier/repository"
)

func TestSourcesAreListedFilteredAndErased(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	p, other := e.openPosting(), e.openPosting()
	from := func(source string) func(*repository.Application) {
		return func(a *repository.Application) {
			a.UTMSource, a.UTMMedium, a.UTMCampaign, a.Ref, a.ReferrerHost = source, "social", "automne", "r1", "www.linkedin.com"
		}
	}
	a := e.apply(p, "Alix", "Martin", from("LinkedIn"))
	b := e.apply(p, "Basile", "Martin", from("Mailing beta.gouv"))
	c := e.apply(p, "Claude", "Martin", from("LinkedIn"))
	e.apply(p, "Dana", "Martin")
	e.apply(other, "Eli", "Martin", from("Twitter"))

	got, err := e.Repo.PostingSources(t.Context(), p.ID)
	if err != nil || !reflect.DeepEqual(got, []string{"LinkedIn", "Mailing beta.gouv"}) {
		t.Errorf("sources = %q, %v", got, err)
	}
	if ids := e.listAll(repository.ListFilter{PostingID: p.ID, Source: "LinkedIn"}, 1); !reflect.DeepEqual(ids, []int64{c.ID, a.ID}) {
		t.Errorf("filtered by LinkedIn: %v, want %v", ids, []int64{c.ID, a.ID})
	}
	stored, err := e.Repo.ApplicationByID(t.Context(), a.ID)
	if err != nil || stored.UTMSource != "LinkedIn" || stored.UTMMedium != "social" || stored.UTMCampaign != "automne" ||
		stored.Ref != "r1" || stored.ReferrerHost != "www.linkedin.com" {
		t.Errorf("stored = %+v, %v", stored, err)
	}

	// Erased, the application takes its source with it.
	if err := e.Repo.Erase(t.Context(), b.ID, repository.ActorApplicant, nil, nil); err != nil {
		t.Fatal(err)
	}
	if n := e.count(`SELECT count(*) FROM applications WHERE id = $1 AND (utm_source || utm_medium || utm_campaign || ref || referrer_host) <> ''`, b.ID); n != 0 {
		t.Error("an erased application keeps its source")
	}
	if got, _ := e.Repo.PostingSources(t.Context(), p.ID); !reflect.DeepEqual(got, []string{"LinkedIn"}) {
		t.Errorf("sources after an erasure = %q", got)
	}
}

func TestTrackedLinks(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	p, other := e.openPosting(), e.openPosting()
	l, err := e.Repo.CreateTrackedLink(t.Context(), p.ID, "LinkedIn", "contact@anct.gouv.fr")
	if err != nil || len(l.Slug) != 8 {
		t.Fatalf("create: %+v, %v", l, err)
	}
	if _, err := e.Repo.CreateTrackedLink(t.Context(), p.ID, "linkedin", "contact@anct.gouv.fr"); !errors.Is(err, repository.ErrDuplicateLabel) {
		t.Errorf("same channel again: %v, want ErrDuplicateLabel", err)
	}
	if _, err := e.Repo.CreateTrackedLink(t.Context(), other.ID, "LinkedIn", "autre@anct.gouv.fr"); err != nil {
		t.Errorf("the same channel on another posting: %v", err)
	}
	found, err := e.Repo.TrackedLinkBySlug(t.Context(), l.Slug)
	if err != nil || found.PostingSlug != p.Slug || found.Label != "LinkedIn" {
		t.Errorf("by slug: %+v, %v", found, err)
	}
	if _, err := e.Repo.TrackedLinkBySlug(t.Context(), "zzzzzzzz"); !errors.Is(err, repository.ErrNotFound) {
		t.Errorf("unknown slug: %v", err)
	}
	if list, err := e.Repo.TrackedLinks(t.Context(), p.ID); err != nil || len(list) != 1 || list[0].Slug != l.Slug {
		t.Errorf("links of the posting: %+v, %v", list, err)
	}
}
