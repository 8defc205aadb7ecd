package clerk

import (
	"encoding/json"
	"reflect"
	"testing"
)

// claimsCorpus: what the library writes, and what it might write one day.
var claimsCorpus = []string{
	`{"sub":"user_1","exp":1,"features":{"org":[],"user":[]},"plans":{"org":[],"user":[]},"raw":{"sub":"user_1","exp":1}}`,
	`{"sub":"user_2abc","sid":"sess_1","azp":"https://app.example.com","iss":"https://clerk.example.com","exp":4102444800,"iat":1700000000,"nbf":1699999990,"sts":"active","fva":[5,-1],"version":2,"organization":{"id":"org_1","slug":"acme","role":"org:admin","permissions":["org:dashboard:read","org:dashboard:manage"]},"features":{"org":["dashboard","billing"],"user":[]},"plans":{"org":["pro"],"user":[]},"raw":{"v":2,"o":{"id":"org_1","rol":"admin","slg":"acme","per":"read,manage","fpm":"3"},"fea":"o:dashboard,o:billing","pla":"o:pro","fva":[5,-1],"custom":{"a":[1,2.5e3,true,false,null,"x\"y\\u00e9"]}}}`,
	`{"sub":"user_1","exp":1,"act":{"sub":"user_admin","iss":"https://dashboard.clerk.com"},"features":{"org":[],"user":["beta"]},"plans":{"org":[],"user":[]},"raw":{}}`,
	` { "sub" : "user_1" , "exp" : -5 , "raw" : [ ] } `,
	`{"sub":"üser_ß","exp":1,"raw":{"name":"Zoë"}}`,
	`{"sub":"user_\u0031","exp":1,"raw":{}}`,
	`{"sub":"user_1","exp":1.5,"raw":{}}`,
	`{"sub":"user_1","exp":9223372036854775807,"iat":-9223372036854775808,"raw":{}}`,
	`{"sub":"user_1","exp":9223372036854775808,"raw":{}}`,
	`{"sub":"user_1","exp":1e3,"raw":{}}`,
	`{"sub":null,"exp":1,"act":null,"raw":{}}`,
	`{"sub":"user_1","SUB":"user_2","exp":1,"raw":{}}`,
	`{"sub":"user_1","exp":1,"new_claim":{"x":1},"raw":{}}`,
	`{"sub":"user_1","exp":1,"organization":{"id":"org_1"},"organization":{"slug":"s"},"raw":{}}`,
	`{"sub":"user_1","exp":1,"fva":[],"raw":{"a":"\ud83d\ude00"}}`,
	`{"sub":"user_1","exp":01,"raw":{}}`,
	`{"sub":"user_1","exp":1,"raw":{"a":tru}}`,
	`{"sub":"user_1","exp":1,"raw":{"a":"\x"}}`,
	`{"sub":"user_1","exp":1,"raw":{"a":1,}}`,
	`{"sub":"user_1","exp":1,"raw":{}} x`,
	`{"sub":"user_1","exp":1,"raw":{}`,
	`{"sub":"user_1","exp":1,"version":4294967296,"raw":{}}`,
	`{"sub":"user_1","exp":1,"raw":"\xff"}`,
	`{"sub":"` + "\xff" + `","exp":1,"raw":{}}`,
	`[]`,
	``,
}

// checkClaimsDecoder: when the fast path accepts text, encoding/json accepts it too and
// decodes the same claims.
func checkClaimsDecoder(t *testing.T, text string) {
	t.Helper()
	var fast, slow Claims
	accepted := fastClaims(text, &fast)
	slowErr := json.Unmarshal([]byte(text), &slow)
	if accepted && (slowErr != nil || !reflect.DeepEqual(fast, slow)) {
		t.Fatalf("%q:\nfast %+v\njson %+v (%v)", text, fast, slow, slowErr)
	}
	var got Claims
	err := decodeClaims(text, &got)
	if (err == nil) != (slowErr == nil) || (err == nil && !reflect.DeepEqual(got, slow)) {
		t.Fatalf("%q: decodeClaims %+v (%v), encoding/json %+v (%v)", text, got, err, slow, slowErr)
	}
}

func TestFastClaimsDecoder(t *testing.T) {
	fastCount := 0
	for _, text := range claimsCorpus {
		checkClaimsDecoder(t, text)
		var c Claims
		if fastClaims(text, &c) {
			fastCount++
		}
	}
	// The library's own shapes take the fast path.
	v, err := NewVerifier(VerifierConfig{JWTKey: publicKeyPEM(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	for _, claims := range []map[string]any{
		nil,
		{"o": map[string]any{"id": "org_1", "slg": "acme", "rol": "admin", "per": "read,manage", "fpm": "3"}, "fea": "o:a,u:b", "pla": "u:free"},
		{"act": map[string]any{"sub": "user_admin"}, "fva": []int{3, -1}, "custom": "Zoë \"quoted\""},
	} {
		token := mint(t, claims)
		h := v.h
		p, _ := h.acquire()
		text, _ := newCText(token, "token")
		claimsJSON, err := cVerify(p, text)
		h.release()
		if err != nil {
			t.Fatal(err)
		}
		var c Claims
		if !fastClaims(claimsJSON, &c) {
			t.Errorf("the library's claims took the slow path: %s", claimsJSON)
		}
		checkClaimsDecoder(t, claimsJSON)
	}
	if fastCount < 5 {
		t.Errorf("only %d corpus entries took the fast path", fastCount)
	}
}

func FuzzClaimsDecoder(f *testing.F) {
	for _, text := range claimsCorpus {
		f.Add(text)
	}
	f.Fuzz(func(t *testing.T, text string) { checkClaimsDecoder(t, text) })
}
