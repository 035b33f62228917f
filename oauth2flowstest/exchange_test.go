package oauth2flowstest_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/oauth2flows/oauth2flows"
	"github.com/oauth2flows/oauth2flows/oauth2flowstest"
)

func exchangeForm(subject string, extra url.Values) url.Values {
	return merge(url.Values{
		"grant_type":         {oauth2flows.GrantTypeTokenExchange},
		"subject_token":      {subject},
		"subject_token_type": {oauth2flows.TokenTypeAccessToken},
	}, extra)
}

func TestTokenExchange(t *testing.T) {
	srv := newServer(t)
	subject := srv.IssueAccessToken("alice", "api://mid", "read")
	actor := srv.IssueAccessToken("svc-a", "api://mid")

	t.Run("AudiencesAndResources", func(t *testing.T) {
		got := token(t, srv, exchangeForm(subject, url.Values{
			"audience": {"api-1", "api-2"}, "resource": {"https://r.example/"},
		}), midAuth)
		require.Equal(t, http.StatusOK, got.Status, got.Raw)
		assert.Equal(t, "Bearer", got.str("token_type"))
		assert.Equal(t, oauth2flows.TokenTypeAccessToken, got.str("issued_token_type"))
		c := parseJWT(t, got.str("access_token"))
		assert.Equal(t, []any{"api-1", "api-2", "https://r.example/"}, c["aud"])
		assert.Equal(t, "alice", c["sub"])
		assert.Equal(t, "read", c["scp"])
		assert.Equal(t, "mid", c["azp"])
		assert.Nil(t, c["act"])
	})
	t.Run("SingleAudienceIsAString", func(t *testing.T) {
		got := token(t, srv, exchangeForm(subject, url.Values{"audience": {"api-1"}}), midAuth)
		require.Equal(t, http.StatusOK, got.Status, got.Raw)
		assert.Equal(t, "api-1", parseJWT(t, got.str("access_token"))["aud"])
	})
	t.Run("ActorNestsExistingAct", func(t *testing.T) {
		first := token(t, srv, exchangeForm(subject, url.Values{
			"actor_token": {actor}, "actor_token_type": {oauth2flows.TokenTypeAccessToken}, "audience": {"api://mid"},
		}), midAuth)
		require.Equal(t, http.StatusOK, first.Status, first.Raw)
		c, err := srv.VerifyAccessToken(first.str("access_token"))
		require.NoError(t, err)
		require.NotNil(t, c.Act)
		assert.Equal(t, "svc-a", c.Act.Subject)
		assert.Nil(t, c.Act.Act)

		second := token(t, srv, exchangeForm(first.str("access_token"), url.Values{
			"actor_token":      {srv.IssueAccessToken("svc-b", "x")},
			"actor_token_type": {oauth2flows.TokenTypeJWT},
		}), midAuth)
		require.Equal(t, http.StatusOK, second.Status, second.Raw)
		c2, err := srv.VerifyAccessToken(second.str("access_token"))
		require.NoError(t, err)
		assert.Equal(t, &oauth2flowstest.Actor{Subject: "svc-b", Act: &oauth2flowstest.Actor{Subject: "svc-a"}}, c2.Act)
		assert.Equal(t, "alice", c2.Subject)
	})
	t.Run("IDTokenIsNotABearer", func(t *testing.T) {
		got := token(t, srv, exchangeForm(subject, url.Values{"requested_token_type": {oauth2flows.TokenTypeIDToken}}), midAuth)
		require.Equal(t, http.StatusOK, got.Status, got.Raw)
		assert.Equal(t, "N_A", got.str("token_type"))
		assert.Equal(t, oauth2flows.TokenTypeIDToken, got.str("issued_token_type"))
		assert.Equal(t, "mid", parseJWT(t, got.str("access_token"))["aud"])
	})
	t.Run("PublicClientMayExchange", func(t *testing.T) {
		mine := srv.IssueAccessToken("alice", "public", "read")
		got := token(t, srv, exchangeForm(mine, url.Values{"client_id": {"public"}}), "")
		assert.Equal(t, http.StatusOK, got.Status, got.Raw)
	})
}

// A subject token is the client's to trade when it was issued for the
// client, as its ID or api://ID, or for a resource it serves.
func TestTokenExchangeAcceptsSubjectsForTheClientsAudiences(t *testing.T) {
	srv := newServer(t, oauth2flowstest.WithClient(oauth2flowstest.Client{ID: "orders", Secret: "s",
		Audiences: []string{"https://orders.example.com"}}))
	for _, aud := range []string{"orders", "api://orders", "https://orders.example.com"} {
		t.Run(aud, func(t *testing.T) {
			got := token(t, srv, exchangeForm(srv.IssueAccessToken("alice", aud), url.Values{"audience": {"api://stock"}}), basic("orders", "s"))
			require.Equal(t, http.StatusOK, got.Status, got.Raw)
			assert.Equal(t, "api://stock", parseJWT(t, got.str("access_token"))["aud"])
		})
	}
	got := token(t, srv, exchangeForm(srv.IssueAccessToken("alice", "https://billing.example.com"), nil), basic("orders", "s"))
	assert.Equal(t, http.StatusBadRequest, got.Status, got.Raw)
	assert.Equal(t, "invalid_request", got.str("error"))
	assert.Contains(t, got.str("error_description"), "subject_token was not issued for this client")
}

func TestTokenExchangeRefusals(t *testing.T) {
	srv := newServer(t)
	subject := srv.IssueAccessToken("alice", "api://mid")
	foreign := oauth2flowstest.NewServer()
	t.Cleanup(foreign.Close)
	tests := []struct {
		name    string
		form    url.Values
		wantErr string
	}{
		{"ActorWithoutType", exchangeForm(subject, url.Values{"actor_token": {subject}}), "invalid_request"},
		{"ActorTypeWithoutToken", exchangeForm(subject, url.Values{"actor_token_type": {oauth2flows.TokenTypeJWT}}), "invalid_request"},
		{"InvalidActor", exchangeForm(subject, url.Values{"actor_token": {"garbage"}, "actor_token_type": {oauth2flows.TokenTypeJWT}}), "invalid_request"},
		{"MissingSubjectType", func() url.Values { f := exchangeForm(subject, nil); f.Del("subject_token_type"); return f }(), "invalid_request"},
		{"MissingSubject", exchangeForm("", nil), "invalid_request"},
		{"ForeignSubject", exchangeForm(foreign.IssueAccessToken("alice", "x"), nil), "invalid_request"},
		{"UnsupportedSubjectType", func() url.Values {
			f := exchangeForm(subject, nil)
			f.Set("subject_token_type", oauth2flows.TokenTypeSAML2)
			return f
		}(), "invalid_request"},
		{"UnsupportedRequestedType", exchangeForm(subject, url.Values{"requested_token_type": {oauth2flows.TokenTypeSAML2}}), "invalid_request"},
		{"RelativeResource", exchangeForm(subject, url.Values{"resource": {"/api"}}), "invalid_target"},
		{"RepeatedScope", exchangeForm(subject, url.Values{"scope": {"a", "b"}}), "invalid_request"},
		// RFC 8693 §2.2.2: a subject token meant for another service is not
		// the client's to trade.
		{"SubjectForAnotherAudience", exchangeForm(srv.IssueAccessToken("alice", "api://billing"), nil), "invalid_request"},
		{"SubjectWithoutAudience", exchangeForm(srv.IssueAccessToken("alice", ""), nil), "invalid_request"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := token(t, srv, tt.form, midAuth)
			assert.Equal(t, http.StatusBadRequest, got.Status, got.Raw)
			assert.Equal(t, tt.wantErr, got.str("error"))
		})
	}
}
