package oauth2flowstest_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/oauth2flows/oauth2flows/oauth2flowstest"
)

func TestProtect(t *testing.T) {
	srv := newServer(t)
	api := srv.Protect("api://mid", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, ok := oauth2flowstest.ClaimsFromContext(r.Context())
		if !ok {
			http.Error(w, "no claims", 500)
			return
		}
		_, _ = w.Write([]byte(c.Subject + " " + c.Scope))
	}))
	tests := []struct {
		name       string
		auth       string
		wantStatus int
		wantBody   string
		wantChall  string
	}{
		{"Valid", "Bearer " + srv.IssueAccessToken("alice", "api://mid", "read"), 200, "alice read", ""},
		{"LowercaseScheme", "bearer " + srv.IssueAccessToken("alice", "api://mid"), 200, "alice ", ""},
		{"Missing", "", 401, "", `Bearer realm="oauth2flowstest"`},
		{"WrongAudience", "Bearer " + srv.IssueAccessToken("alice", "api://other"), 401, "", `error="invalid_token"`},
		{"Garbage", "Bearer abc", 401, "", `error="invalid_token"`},
		{"Basic", basic("conf", awkwardSecret), 401, "", `Bearer realm`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			if tt.auth != "" {
				r.Header.Set("Authorization", tt.auth)
			}
			w := httptest.NewRecorder()
			api.ServeHTTP(w, r)
			assert.Equal(t, tt.wantStatus, w.Code)
			if tt.wantStatus == 200 {
				assert.Equal(t, tt.wantBody, w.Body.String())
			} else {
				assert.Contains(t, w.Header().Get("WWW-Authenticate"), tt.wantChall)
			}
		})
	}
}
