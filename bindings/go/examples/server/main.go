// Command server is an HTTP API whose /me route needs a Clerk session: it verifies the
// session token locally (Authorization: Bearer, or the __session cookie) and answers the
// signed-in user. CLERK_SECRET_KEY (and CLERK_API_URL) come from the environment.
//
//	go run ./examples/server -addr 127.0.0.1:8080
//	curl -H "Authorization: Bearer $SESSION_TOKEN" http://127.0.0.1:8080/me
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"log"
	"net"
	"net/http"

	clerk "github.com/libclerk/libclerk/bindings/go"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "address to listen on")
	flag.Parse()

	client, err := clerk.NewClientFromEnv()
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()
	// Keys come from the instance's JWKS, fetched once and cached.
	verifier, err := clerk.NewVerifier(clerk.VerifierConfig{Client: client})
	if err != nil {
		log.Fatal(err)
	}
	defer verifier.Close()

	mux := http.NewServeMux()
	// Signed-in requests only; others get 401.
	mux.Handle("/me", verifier.RequireHeaderAuthorization()(http.HandlerFunc(
		func(w http.ResponseWriter, r *http.Request) {
			claims, _ := clerk.SessionClaimsFromContext(r.Context())
			var user clerk.User
			err := client.CallInto(r.Context(), clerk.OpUsersGet, clerk.Params{"user_id": claims.Subject}, &user)
			if errors.Is(err, clerk.ErrNotFound) {
				http.Error(w, "no such user", http.StatusNotFound)
				return
			} else if err != nil {
				http.Error(w, err.Error(), http.StatusBadGateway)
				return
			}
			w.Header().Set("Content-Type", "application/json")
			_ = json.NewEncoder(w).Encode(map[string]any{
				"user_id":    user.ID,
				"session_id": claims.SessionID,
				"first_name": user.FirstName,
			})
		})))
	// Anyone; the claims are there when the request is signed in.
	mux.Handle("/", verifier.WithHeaderAuthorization()(http.HandlerFunc(
		func(w http.ResponseWriter, r *http.Request) {
			if claims, ok := clerk.SessionClaimsFromContext(r.Context()); ok {
				_, _ = w.Write([]byte("hello, " + claims.Subject + "\n"))
				return
			}
			_, _ = w.Write([]byte("hello, stranger\n"))
		})))

	listener, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	log.Printf("listening on http://%s", listener.Addr())
	log.Fatal(http.Serve(listener, mux))
}
