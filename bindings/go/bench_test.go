package clerk

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/libclerk/libclerk/bindings/go/internal/cbench"
)

// The benchmarks (bench.sh): Verifier.Verify against a standard-library RS256 check of
// the same token, the raw RSA verification alone, and clerk_verifier_verify driven from
// a C loop; each on one goroutine and on every core. Each reports tokens per CPU-second
// (process CPU time, from getrusage) and per wall second.

// benchToken is the token of bench/c: a typical v2 session token with an organization,
// features and a plan, signed with tests/c/fixtures/other_signing_key.pem.
var benchToken struct {
	once      sync.Once
	token     string
	publicPEM string
	key       *rsa.PublicKey
	err       error
}

func benchSetup(b *testing.B) (string, string, *rsa.PublicKey) {
	benchToken.once.Do(func() {
		dir := filepath.Join("..", "..", "tests", "c", "fixtures")
		private, err := os.ReadFile(filepath.Join(dir, "other_signing_key.pem"))
		if err != nil {
			benchToken.err = err
			return
		}
		public, err := os.ReadFile(filepath.Join(dir, "other_signing_key.pub.pem"))
		if err != nil {
			benchToken.err = err
			return
		}
		block, _ := pem.Decode(public)
		parsed, err := x509.ParsePKIXPublicKey(block.Bytes)
		if err != nil {
			benchToken.err = err
			return
		}
		benchToken.key = parsed.(*rsa.PublicKey)
		benchToken.publicPEM = string(public)
		// bench/run.sh has every contestant verify one token, minted once by bench/c.
		if file := os.Getenv("CLERK_BENCH_TOKEN_FILE"); file != "" {
			text, err := os.ReadFile(file)
			benchToken.token, benchToken.err = strings.TrimSpace(string(text)), err
			return
		}
		benchToken.token, benchToken.err = MintTestSessionToken(string(private), "ins_bench", map[string]any{
			"sub": "user_2abcdefghijklmnopqrstuvwxyz", "sid": "sess_2abcdefghijklmnopqrstuvw",
			"azp": "https://app.example.com", "iss": "https://clerk.example.com", "exp": 4102444800,
			"o":   map[string]any{"id": "org_2abcdefghijklmnopqrstuvwxyz", "rol": "admin", "slg": "acme", "per": "read,manage", "fpm": "3,2"},
			"fea": "o:dashboard,o:billing", "pla": "o:pro", "fva": []int{5, -1},
		}, nil)
	})
	if benchToken.err != nil {
		b.Fatal(benchToken.err)
	}
	return benchToken.token, benchToken.publicPEM, benchToken.key
}

func cpuTime() time.Duration {
	var usage syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &usage); err != nil {
		return 0
	}
	return time.Duration(usage.Utime.Nano() + usage.Stime.Nano())
}

// measure runs loop (which does b.N verifications) and reports tokens per CPU-second
// and per wall second.
func measure(b *testing.B, loop func()) {
	b.ReportAllocs()
	runtime.GC()
	b.ResetTimer()
	cpu, wall := cpuTime(), time.Now()
	loop()
	cpuUsed, wallUsed := cpuTime()-cpu, time.Since(wall)
	b.StopTimer()
	if cpuUsed > 0 {
		b.ReportMetric(float64(b.N)/cpuUsed.Seconds(), "tokens/cpu-s")
	}
	b.ReportMetric(float64(b.N)/wallUsed.Seconds(), "tokens/s")
}

func benchVerifier(b *testing.B) (*Verifier, string) {
	token, public, _ := benchSetup(b)
	v, err := NewVerifier(VerifierConfig{JWTKey: public, AuthorizedParties: []string{"https://app.example.com"}})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { v.Close() })
	if claims, err := v.Verify(token); err != nil || claims.Organization == nil {
		b.Fatalf("%+v %v", claims, err)
	}
	return v, token
}

func BenchmarkVerify(b *testing.B) {
	v, token := benchVerifier(b)
	measure(b, func() {
		for i := 0; i < b.N; i++ {
			if _, err := v.Verify(token); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkVerifyParallel(b *testing.B) {
	v, token := benchVerifier(b)
	measure(b, func() {
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := v.Verify(token); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}

// stdlibClaims are the claims the hand-rolled check decodes (what Claims carries).
type stdlibClaims struct {
	Sub string `json:"sub"`
	Sid string `json:"sid"`
	Azp string `json:"azp"`
	Iss string `json:"iss"`
	Exp int64  `json:"exp"`
	Iat int64  `json:"iat"`
	Nbf int64  `json:"nbf"`
	Sts string `json:"sts"`
	V   int    `json:"v"`
	O   *struct {
		ID  string `json:"id"`
		Rol string `json:"rol"`
		Slg string `json:"slg"`
		Per string `json:"per"`
		Fpm string `json:"fpm"`
	} `json:"o"`
	Fea string  `json:"fea"`
	Pla string  `json:"pla"`
	Fva []int64 `json:"fva"`
}

// stdlibVerify is an RS256 session-token check with the standard library only:
// base64url + encoding/json for header and payload, crypto/rsa for the signature, then
// the time and azp checks (5 s of clock skew).
func stdlibVerify(token string, key *rsa.PublicKey, kid, azp string) (*stdlibClaims, error) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return nil, errors.New("not a JWT")
	}
	headerJSON, err := base64.RawURLEncoding.DecodeString(parts[0])
	if err != nil {
		return nil, err
	}
	var header struct {
		Alg string `json:"alg"`
		Kid string `json:"kid"`
	}
	if err := json.Unmarshal(headerJSON, &header); err != nil {
		return nil, err
	}
	if header.Alg != "RS256" || header.Kid != kid {
		return nil, errors.New("wrong alg or kid")
	}
	payloadJSON, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return nil, err
	}
	claims := new(stdlibClaims)
	if err := json.Unmarshal(payloadJSON, claims); err != nil {
		return nil, err
	}
	signature, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return nil, err
	}
	digest := sha256.Sum256([]byte(token[:len(parts[0])+1+len(parts[1])]))
	if err := rsa.VerifyPKCS1v15(key, crypto.SHA256, digest[:], signature); err != nil {
		return nil, err
	}
	now, skew := time.Now().Unix(), int64(5)
	if claims.Exp+skew <= now || claims.Nbf-skew > now || claims.Iat-skew > now {
		return nil, errors.New("expired or not yet valid")
	}
	if claims.Azp != azp {
		return nil, errors.New("wrong azp")
	}
	return claims, nil
}

func BenchmarkStdlibRS256(b *testing.B) {
	token, _, key := benchSetup(b)
	if _, err := stdlibVerify(token, key, "ins_bench", "https://app.example.com"); err != nil {
		b.Fatal(err)
	}
	measure(b, func() {
		for i := 0; i < b.N; i++ {
			if _, err := stdlibVerify(token, key, "ins_bench", "https://app.example.com"); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkStdlibRS256Parallel(b *testing.B) {
	token, _, key := benchSetup(b)
	measure(b, func() {
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := stdlibVerify(token, key, "ins_bench", "https://app.example.com"); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}

// rawRSA is the signature check alone: pre-parsed key, pre-hashed input.
func rawRSA(b *testing.B) (*rsa.PublicKey, []byte, []byte) {
	token, _, key := benchSetup(b)
	dot := strings.LastIndexByte(token, '.')
	digest := sha256.Sum256([]byte(token[:dot]))
	signature, err := base64.RawURLEncoding.DecodeString(token[dot+1:])
	if err != nil {
		b.Fatal(err)
	}
	return key, digest[:], signature
}

func BenchmarkRawRSAStdlib(b *testing.B) {
	key, digest, signature := rawRSA(b)
	measure(b, func() {
		for i := 0; i < b.N; i++ {
			if err := rsa.VerifyPKCS1v15(key, crypto.SHA256, digest, signature); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkRawRSAStdlibParallel(b *testing.B) {
	key, digest, signature := rawRSA(b)
	measure(b, func() {
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if err := rsa.VerifyPKCS1v15(key, crypto.SHA256, digest, signature); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}

func cVerifier(b *testing.B) *cbench.Verifier {
	token, public, _ := benchSetup(b)
	config, _ := json.Marshal(map[string]any{"jwt_key": public, "authorized_parties": []string{"https://app.example.com"}})
	v, err := cbench.New(string(config), token)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(v.Close)
	return v
}

// BenchmarkCVerifyLoop is clerk_verifier_verify in a C loop: the C ABI's rate.
func BenchmarkCVerifyLoop(b *testing.B) {
	v := cVerifier(b)
	measure(b, func() {
		if err := v.VerifyN(b.N); err != nil {
			b.Fatal(err)
		}
	})
}

// BenchmarkCVerifyLoopParallel is the C loop on GOMAXPROCS threads sharing one verifier.
func BenchmarkCVerifyLoopParallel(b *testing.B) {
	v := cVerifier(b)
	procs := runtime.GOMAXPROCS(0)
	measure(b, func() {
		var wg sync.WaitGroup
		for p := 0; p < procs; p++ {
			n := b.N / procs
			if p < b.N%procs {
				n++
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := v.VerifyN(n); err != nil {
					b.Error(err)
				}
			}()
		}
		wg.Wait()
	})
}
