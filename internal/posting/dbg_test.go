package posting

import "testing"

func TestDbgRepair(t *testing.T) {
	for _, c := range loadCorpus(t) {
		fm, _, _, perr := splitFrontMatter(normalise(c.data))
		if perr != nil {
			t.Log(c.rel, perr)
			continue
		}
		if _, err := unmarshal(sanitiseYAML(fm)); err != nil {
			t.Log("needs repair:", c.rel, err)
		}
		if _, err := unmarshal(fm); err != nil {
			t.Log("raw fails:", c.rel, err)
		}
	}
}
