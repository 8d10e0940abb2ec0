package pgstore_test

import (
	"context"
	"fmt"
	"log"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/authsdk/authsdk/sdk/plex"
	"github.com/authsdk/authsdk/store/pgstore"
)

// One Plex device for every replica of a service: the identity (client
// identifier, device key, last JWT) lives in one PostgreSQL row, and the
// replicas' JWTSources refresh it once between them. A multi-user app
// names one identity per user ("user:42").
func Example() {
	ctx := context.Background()
	dsn := testDSN // your DATABASE_URL
	pool, err := pgxpool.New(ctx, dsn)
	if err != nil {
		log.Fatal(err)
	}
	defer pool.Close()
	store, err := pgstore.New(pool, "installation") // or "user:42": one row per identity
	if err != nil {
		log.Fatal(err)
	}
	id, err := plex.OpenIdentity(ctx, store) // the same identity in every replica
	if err != nil {
		log.Fatal(err)
	}
	c, err := plex.New(plex.WithIdentity(id))
	if err != nil {
		log.Fatal(err)
	}
	src := c.Authentication.NewJWTSource(id.Key) // replicas make one exchange between them
	defer src.Close()
	fmt.Println(len(id.ClientIdentifier), store.Location())
	// Output: 36 PostgreSQL table authsdk_plex_identity, row "installation"
}
