package clerk

import "unicode/utf8"

// decodeClaims decodes the claims JSON of clerk_verifier_verify. A fast path reads the
// exact shape the library writes; anything else (an escape in a string, a null, a key it
// does not know, a fraction) goes to encoding/json, so the result is always what
// encoding/json gives (checked by TestFastClaimsDecoder and FuzzClaimsDecoder).
func decodeClaims(text string, c *Claims) error {
	if fastClaims(text, c) {
		return nil
	}
	*c = Claims{}
	return decodeInto([]byte(text), c)
}

// scanner reads JSON from b; ok turns false at the first thing the fast path leaves to
// encoding/json, after which every method is a no-op.
type scanner struct {
	b  string
	i  int
	ok bool
}

func (s *scanner) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

func (s *scanner) peek() byte {
	s.ws()
	if !s.ok || s.i >= len(s.b) {
		s.ok = false
		return 0
	}
	return s.b[s.i]
}

func (s *scanner) expect(c byte) {
	if s.peek() != c {
		s.ok = false
		return
	}
	s.i++
}

// str reads a string without escapes.
func (s *scanner) str() string {
	if s.peek() != '"' {
		s.ok = false
		return ""
	}
	start := s.i + 1
	ascii := true
	for j := start; j < len(s.b); j++ {
		switch c := s.b[j]; {
		case c == '"':
			if !ascii && !utf8.ValidString(s.b[start:j]) {
				// encoding/json replaces invalid UTF-8.
				s.ok = false
				return ""
			}
			s.i = j + 1
			// A substring: the strings of the claims share one copy of the text.
			return s.b[start:j]
		case c == '\\' || c < 0x20:
			// Escapes are left to encoding/json.
			s.ok = false
			return ""
		case c >= 0x80:
			ascii = false
		}
	}
	s.ok = false
	return ""
}

// int reads an integer that fits an int64 (no fraction or exponent).
func (s *scanner) int() int64 {
	c := s.peek()
	if !s.ok {
		return 0
	}
	negative := c == '-'
	if negative {
		s.i++
	}
	start := s.i
	var n uint64
	for s.i < len(s.b) && s.b[s.i] >= '0' && s.b[s.i] <= '9' {
		if n > (1<<63)/10 {
			s.ok = false
			return 0
		}
		n = n*10 + uint64(s.b[s.i]-'0')
		s.i++
	}
	digits := s.i - start
	if digits == 0 || (digits > 1 && s.b[start] == '0') || n > 1<<63 || (n == 1<<63 && !negative) {
		s.ok = false
		return 0
	}
	if s.i < len(s.b) && (s.b[s.i] == '.' || s.b[s.i] == 'e' || s.b[s.i] == 'E') {
		s.ok = false
		return 0
	}
	if negative {
		return -int64(n)
	}
	return int64(n)
}

// value reads any JSON value, checking it as strictly as encoding/json does, and
// returns its text (for Raw and Actor).
func (s *scanner) value() []byte {
	s.ws()
	start := s.i
	s.skip(0)
	if !s.ok {
		return nil
	}
	return []byte(s.b[start:s.i])
}

func (s *scanner) skip(depth int) {
	if depth > 64 {
		s.ok = false
		return
	}
	switch c := s.peek(); {
	case !s.ok:
	case c == '"':
		s.skipString()
	case c == '{':
		s.i++
		if s.peek() == '}' {
			s.i++
			return
		}
		for s.ok {
			if s.peek() != '"' {
				s.ok = false
				return
			}
			s.skipString()
			s.expect(':')
			s.skip(depth + 1)
			switch s.peek() {
			case ',':
				s.i++
			case '}':
				s.i++
				return
			default:
				s.ok = false
			}
		}
	case c == '[':
		s.i++
		if s.peek() == ']' {
			s.i++
			return
		}
		for s.ok {
			s.skip(depth + 1)
			switch s.peek() {
			case ',':
				s.i++
			case ']':
				s.i++
				return
			default:
				s.ok = false
			}
		}
	case c == 't':
		s.literal("true")
	case c == 'f':
		s.literal("false")
	case c == 'n':
		s.literal("null")
	default:
		s.skipNumber()
	}
}

func (s *scanner) literal(word string) {
	if len(s.b)-s.i < len(word) || s.b[s.i:s.i+len(word)] != word {
		s.ok = false
		return
	}
	s.i += len(word)
}

func (s *scanner) skipString() {
	s.i++ // the opening quote
	for s.i < len(s.b) {
		c := s.b[s.i]
		switch {
		case c == '"':
			s.i++
			return
		case c < 0x20:
			s.ok = false
			return
		case c == '\\':
			if s.i+1 >= len(s.b) {
				s.ok = false
				return
			}
			switch s.b[s.i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				s.i += 2
			case 'u':
				if s.i+6 > len(s.b) {
					s.ok = false
					return
				}
				for _, h := range s.b[s.i+2 : s.i+6] {
					if !('0' <= h && h <= '9' || 'a' <= h && h <= 'f' || 'A' <= h && h <= 'F') {
						s.ok = false
						return
					}
				}
				s.i += 6
			default:
				s.ok = false
				return
			}
		default:
			s.i++
		}
	}
	s.ok = false
}

// skipNumber reads -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
func (s *scanner) skipNumber() {
	digits := func() int {
		n := 0
		for s.i < len(s.b) && s.b[s.i] >= '0' && s.b[s.i] <= '9' {
			s.i++
			n++
		}
		return n
	}
	if s.i < len(s.b) && s.b[s.i] == '-' {
		s.i++
	}
	first := s.i
	if n := digits(); n == 0 || (n > 1 && s.b[first] == '0') {
		s.ok = false
		return
	}
	if s.i < len(s.b) && s.b[s.i] == '.' {
		s.i++
		if digits() == 0 {
			s.ok = false
			return
		}
	}
	if s.i < len(s.b) && (s.b[s.i] == 'e' || s.b[s.i] == 'E') {
		s.i++
		if s.i < len(s.b) && (s.b[s.i] == '+' || s.b[s.i] == '-') {
			s.i++
		}
		if digits() == 0 {
			s.ok = false
		}
	}
}

// object calls field for each key of an object.
func (s *scanner) object(field func(key string)) {
	s.expect('{')
	if s.peek() == '}' {
		s.i++
		return
	}
	for s.ok {
		key := s.str()
		s.expect(':')
		if !s.ok {
			return
		}
		field(key)
		switch s.peek() {
		case ',':
			s.i++
		case '}':
			s.i++
			return
		default:
			s.ok = false
		}
	}
}

func (s *scanner) strings() []string {
	out := []string{}
	s.expect('[')
	if s.peek() == ']' {
		s.i++
		return out
	}
	for s.ok {
		out = append(out, s.str())
		switch s.peek() {
		case ',':
			s.i++
		case ']':
			s.i++
			return out
		default:
			s.ok = false
		}
	}
	return nil
}

func (s *scanner) ints() []int64 {
	out := []int64{}
	s.expect('[')
	if s.peek() == ']' {
		s.i++
		return out
	}
	for s.ok {
		out = append(out, s.int())
		switch s.peek() {
		case ',':
			s.i++
		case ']':
			s.i++
			return out
		default:
			s.ok = false
		}
	}
	return nil
}

func (s *scanner) scoped(into *ScopedNames) {
	s.object(func(key string) {
		switch key {
		case "org":
			into.Org = s.strings()
		case "user":
			into.User = s.strings()
		default:
			s.ok = false
		}
	})
}

// fastClaims is the fast path of decodeClaims; false leaves c to be decoded again.
func fastClaims(text string, c *Claims) bool {
	s := &scanner{b: text, ok: true}
	s.object(func(key string) {
		switch key {
		case "sub":
			c.Subject = s.str()
		case "sid":
			c.SessionID = s.str()
		case "azp":
			c.AuthorizedParty = s.str()
		case "iss":
			c.Issuer = s.str()
		case "sts":
			c.SessionStatus = s.str()
		case "exp":
			c.Expiry = s.int()
		case "iat":
			c.IssuedAt = s.int()
		case "nbf":
			c.NotBefore = s.int()
		case "version":
			n := s.int()
			if n < -1<<31 || n >= 1<<31 {
				s.ok = false
			}
			c.Version = int(n)
		case "fva":
			c.FactorVerificationAge = s.ints()
		case "act":
			if s.peek() == 'n' {
				s.ok = false
			}
			c.Actor = s.value()
		case "raw":
			if s.peek() == 'n' {
				s.ok = false
			}
			c.Raw = s.value()
		case "features":
			s.scoped(&c.Features)
		case "plans":
			s.scoped(&c.Plans)
		case "organization":
			// As encoding/json: a repeated key decodes into the same struct.
			org := c.Organization
			if org == nil {
				org = new(OrganizationClaims)
			}
			s.object(func(key string) {
				switch key {
				case "id":
					org.ID = s.str()
				case "slug":
					org.Slug = s.str()
				case "role":
					org.Role = s.str()
				case "permissions":
					org.Permissions = s.strings()
				default:
					s.ok = false
				}
			})
			c.Organization = org
		default:
			s.ok = false
		}
	})
	s.ws()
	return s.ok && s.i == len(s.b)
}
