module github.com/oauth2flows/oauth2flows

go 1.26.0

require (
	github.com/golang-jwt/jwt/v5 v5.3.1 // indirect
	github.com/stretchr/testify v1.11.1 // indirect
	golang.org/x/oauth2 v0.37.0 // indirect
)
