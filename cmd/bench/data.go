package main

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
)

// French test data: names, places and motivations with accents, so that
// search, sorting and rendering work on what real applicants write.

var firstNames = []string{"Amélie", "Benoît", "Chloé", "Clément", "Élodie", "Émile", "François", "Gaëlle", "Hélène",
	"Inès", "Jérôme", "Léa", "Léon", "Maëlle", "Noémie", "Océane", "Raphaël", "Stéphane", "Thérèse", "Zoé",
	"Camille", "Mathilde", "Antoine", "Aurélien", "Josiane", "Grégoire", "Anaïs", "Loïc", "Céline", "Frédéric"}

var lastNames = []string{"Durand", "Lefèvre", "Moreau", "Giraud", "Bénard", "Fontaine", "Rousseau", "Lemaître",
	"Garçon", "Chevalier", "Mercier", "Dupré", "Bélanger", "Lacroix", "Hébert", "Périer", "Ménard", "Léger",
	"Faure", "Brûlé", "Côté", "Guérin", "Rivière", "Noël", "Aubé", "Barthélemy", "Clément", "Deschênes"}

var places = []string{"Paris (75)", "Lyon (69)", "Marseille (13)", "Besançon (25)", "Nîmes (30)", "Orléans (45)",
	"Saint-Étienne (42)", "Créteil (94)", "Fort-de-France (972)", "Évry-Courcouronnes (91)", "Angoulême (16)",
	"Périgueux (24)", "Clermont-Ferrand (63)", "Sète (34)", "Montbéliard (25)", "Nantes (44)"}

// searchTerm is the French word the inbox scenario searches for; it
// appears (with or without accents) in about a fifth of motivations.
const searchTerm = "collectivités"

var motivationParts = []string{
	"J'accompagne depuis huit ans des équipes d'agents publics dans la conception de services numériques.",
	"Mon expérience auprès des collectivités territoriales m'a appris à écouter les élus comme les usagers.",
	"J'ai coordonné l'ouverture des données d'une métropole et formé les équipes à leur réutilisation.",
	"Je souhaite mettre mes compétences en investigation au service d'un programme d'intérêt général.",
	"Ancienne chargée de mission dans une préfecture, je connais les contraintes réglementaires.",
	"Développeur, j'ai conçu des outils accessibles conformes au RGAA et au système de design de l'État.",
	"La démarche d'incubation, centrée sur les problèmes des usagers, correspond à ma façon de travailler.",
	"J'ai mené des entretiens dans des mairies rurales pour comprendre les besoins des secrétaires de mairie.",
	"Coach agile, j'aide les équipes à livrer souvent et à mesurer l'impact de leur produit.",
	"Je suis disponible rapidement et prêt·e à me déplacer dans les territoires ultramarins.",
}

// motivation returns a motivation of a few sentences; withTerm makes it
// mention the search term.
func motivation(r *rand.Rand, withTerm bool) string {
	n := 3 + r.IntN(3)
	parts := make([]string, 0, n+1)
	for range n {
		p := motivationParts[r.IntN(len(motivationParts))]
		if strings.Contains(p, "collectivités") && !withTerm {
			p = motivationParts[0]
		}
		parts = append(parts, p)
	}
	if withTerm {
		parts = append(parts, "Les collectivités locales sont au cœur de mon parcours.")
	}
	return strings.Join(parts, " ")
}

// person is one applicant.
type person struct {
	First, Last, Email, Phone, Place, SIRET string
	Rate                                    int
	Days                                    float64
}

func newPerson(r *rand.Rand, prefix string, i int) person {
	first, last := firstNames[r.IntN(len(firstNames))], lastNames[r.IntN(len(lastNames))]
	return person{
		First: first, Last: last,
		Email: fmt.Sprintf("%s.%s.%s%d@exemple.fr", ascii(first), ascii(last), prefix, i),
		Phone: fmt.Sprintf("+336%d%07d", 1+r.IntN(2), r.IntN(10000000)), // 06 10 to 06 29: metropolitan mobiles
		Place: places[r.IntN(len(places))], SIRET: siret(r),
		Rate: 350 + 10*r.IntN(60), Days: float64(1+r.IntN(9)) / 2,
	}
}

// ascii lowercases a name and drops its accents, for an email address.
func ascii(s string) string {
	rep := strings.NewReplacer("é", "e", "è", "e", "ê", "e", "ë", "e", "à", "a", "â", "a", "ç", "c", "î", "i", "ï", "i",
		"ô", "o", "û", "u", "ù", "u", "É", "e", "Ô", "o", "Î", "i")
	return strings.ToLower(rep.Replace(s))
}

// siret returns a random SIRET with a valid Luhn key.
func siret(r *rand.Rand) string {
	d := make([]int, 14)
	for i := range 13 {
		d[i] = r.IntN(10)
	}
	for k := range 10 {
		d[13] = k
		sum := 0
		for i := range 14 {
			v := d[13-i]
			if i%2 == 1 {
				if v *= 2; v > 9 {
					v -= 9
				}
			}
			sum += v
		}
		if sum%10 == 0 {
			break
		}
	}
	var b strings.Builder
	for _, v := range d {
		b.WriteString(strconv.Itoa(v))
	}
	return b.String()
}

// pdf returns a PDF of about size bytes, recognised as such by its
// content. Its bulk is one binary stream of random bytes, as a real CV's
// compressed fonts and pictures are: neither side of a comparison gains
// from compressing it.
func pdf(size int) []byte {
	var b bytes.Buffer
	b.WriteString("%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n")
	b.WriteString("2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n")
	b.WriteString("3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >> endobj\n")
	n := max(size-b.Len()-100, 0)
	fmt.Fprintf(&b, "4 0 obj << /Length %d /Filter /FlateDecode >>\nstream\n", n)
	noise := make([]byte, n)
	r := rand.New(rand.NewPCG(uint64(size), 5))
	for i := range noise {
		noise[i] = byte(r.Uint32())
	}
	b.Write(noise)
	b.WriteString("\nendstream endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")
	return b.Bytes()
}
