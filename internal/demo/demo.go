// Package demo ships the demo posting that `vivier dev` opens on a
// developer's machine: the Incubateur des Territoires' call for coaches.
package demo

import _ "embed"

// FileName is the demo posting's file name (its slug comes from it).
const FileName = "2021-03-15-anct-pni-coach.md"

// SourceName identifies the demo posting in the database.
const SourceName = "demo/" + FileName

// Posting is the file as published on beta.gouv.fr.
//
//go:embed 2021-03-15-anct-pni-coach.md
var Posting []byte
