package views_test

import (
	"testing"

	"vivier/internal/views"
)

const browserUA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"

func TestBotsAreToldByTheirUserAgent(t *testing.T) {
	for ua, bot := range map[string]bool{
		browserUA: false,
		"Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1": false,
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0":                                                        false,
		"": true, "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)": true,
		"python-requests/2.32.3": true, "Go-http-client/1.1": true, "LinkedInBot/1.0 (compatible; Mozilla/5.0)": true,
	} {
		if got := views.IsBot(ua); got != bot {
			t.Errorf("IsBot(%q) = %v, want %v", ua, got, bot)
		}
	}
}
