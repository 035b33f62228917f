package storetest_test

import (
	"testing"

	"github.com/oauth2flows/oauth2flows"
	"github.com/oauth2flows/oauth2flows/oauth2flowstest/storetest"
)

func TestMemoryStore(t *testing.T) {
	storetest.TestTokenStore(t, func(*testing.T) oauth2flows.TokenStore { return storetest.NewMemoryStore() })
}
