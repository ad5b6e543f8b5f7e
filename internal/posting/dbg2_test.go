package posting

import (
	"fmt"
	"os"
	"testing"
)

func TestDbgRender(t *testing.T) {
	name := os.Getenv("F")
	data, _ := os.ReadFile(corpusDir + "/" + name)
	p, err := Parse(name, data, testNow)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Println(p.BodyHTML)
	fmt.Println("=====EXCERPT\n" + p.ExcerptHTML)
}
