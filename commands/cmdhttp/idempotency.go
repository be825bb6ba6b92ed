package cmdhttp

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/kabinet/kabinet/platform/auth"
	"github.com/kabinet/kabinet/platform/httpx"
	"github.com/kabinet/kabinet/platform/schema"
	"github.com/kabinet/kabinet/platform/sqldb"
)

// idempotencyRecord is one Idempotency-Key and the first answer given to it.
type idempotencyRecord struct {
	bun.BaseModel `bun:"table:idempotency_keys"`

	Scope       string    `bun:"scope,pk"`
	Key         string    `bun:"key,pk"`
	RequestHash string    `bun:"request_hash,notnull"`
	Done        bool      `bun:"done,notnull"`
	Status      int       `bun:"status,notnull"`
	ContentType string    `bun:"content_type,notnull"`
	Position    string    `bun:"position,notnull"`
	Body        []byte    `bun:"body"`
	CreatedAt   time.Time `bun:"created_at,notnull"`
}

// Idempotency makes commands repeatable under an Idempotency-Key header: a
// repeat with the same key and request returns the first answer and runs
// nothing; the same key with another request is 409.
//
// A stored answer never hands credentials to anyone: the fields named in
// CredentialFields are removed from every stored JSON answer (a replay of
// a registration answers the account without its token: the token is
// handed once), and an answer marked Cache-Control: no-store that is not a
// JSON object is stored without its body. Keys of anonymous requests are
// scoped to the client (its IP and a hash of its user agent) besides the
// body hash, so another client's replay of the same key runs as a request
// of its own. Stored answers expire after IdempotencyTTL; Purge deletes
// them (a scheduler job, PurgeJob).
type Idempotency struct {
	db  *sqldb.DB
	now func() time.Time
}

// IdempotencyTTL is how long a stored answer is replayed.
const IdempotencyTTL = 24 * time.Hour

// CredentialFields are the answer fields an idempotency record never keeps.
var CredentialFields = []string{"token", "refresh_token", "access_token", "id_token"}

// MaxIdempotentBody bounds the request bodies the middleware buffers to hash.
const MaxIdempotentBody = 12 << 20

// IdempotencyMigrations are the idempotency keys' table, oldest first.
var IdempotencyMigrations = schema.Component{Name: "idempotency", Migrations: []schema.Migration{
	{ID: "0001_tables", Up: schema.SQL(`CREATE TABLE IF NOT EXISTS "idempotency_keys" (
		"scope" VARCHAR NOT NULL, "key" VARCHAR NOT NULL, "request_hash" VARCHAR NOT NULL,
		"done" BOOLEAN NOT NULL, "status" {int} NOT NULL, "content_type" VARCHAR NOT NULL,
		"position" VARCHAR NOT NULL, "body" {blob}, "created_at" {time} NOT NULL,
		PRIMARY KEY ("scope", "key"))`)},
	// Expired answers are purged by creation time.
	{ID: "0002_created_at_index", Up: schema.SQL(
		`CREATE INDEX IF NOT EXISTS idempotency_keys_created_at ON idempotency_keys (created_at)`)},
}}

// NewIdempotency applies the key table's pending migrations.
func NewIdempotency(ctx context.Context, db *sqldb.DB, now func() time.Time) (*Idempotency, error) {
	if _, err := schema.Up(ctx, db, IdempotencyMigrations); err != nil {
		return nil, fmt.Errorf("idempotency: %w", err)
	}
	return &Idempotency{db: db, now: now}, nil
}

var (
	errKeyReused     = errors.New("idempotency key reused with another request")
	errKeyInProgress = errors.New("a request with this idempotency key is still in progress")
)

// Middleware applies the Idempotency-Key contract to the wrapped route.
func (i *Idempotency) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := r.Header.Get("Idempotency-Key")
		if key == "" {
			next.ServeHTTP(w, r)
			return
		}
		if len(key) > 200 {
			httpx.WriteError(w, r, httpx.BadRequest("idempotency_key_invalid", "Idempotency-Key is longer than 200 characters"))
			return
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, MaxIdempotentBody+1))
		if err != nil {
			httpx.WriteError(w, r, fmt.Errorf("read body: %w", err))
			return
		}
		if len(body) > MaxIdempotentBody {
			httpx.WriteError(w, r, httpx.ErrBodyTooLarge)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		h := sha256.New()
		fmt.Fprintf(h, "%s %s %s\n", r.Method, r.URL.Path, r.Header.Get("Content-Type"))
		h.Write(body)
		hash := hex.EncodeToString(h.Sum(nil))
		scope := idempotencyScope(r)
		ctx := r.Context()
		reserved, err := i.reserve(ctx, scope, key, hash)
		if err != nil {
			httpx.WriteError(w, r, err)
			return
		}
		if !reserved {
			i.replay(w, r, scope, key, hash)
			return
		}
		cw := &capture{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(cw, r)
		if cw.status >= 500 {
			// Nothing was promised: free the key so the client can retry.
			i.db.NewDelete().Model((*idempotencyRecord)(nil)).
				Where("scope = ? AND key = ?", scope, key).Exec(context.WithoutCancel(ctx))
			return
		}
		_, err = i.db.NewUpdate().Model((*idempotencyRecord)(nil)).
			Set("done = ?", true).Set("status = ?", cw.status).
			Set("content_type = ?", cw.Header().Get("Content-Type")).
			Set("position = ?", cw.Header().Get("X-Kabinet-Position")).
			Set("body = ?", storableBody(cw.Header(), cw.body.Bytes())).
			Where("scope = ? AND key = ?", scope, key).Exec(context.WithoutCancel(ctx))
		if err != nil {
			httpx.Logger(r).Error("store idempotent answer", "err", err)
		}
	})
}

// idempotencyScope is the namespace of a request's keys: the principal's
// subject, or for an anonymous request its client (IP and user agent
// hashed), so that one client never replays another's answer.
func idempotencyScope(r *http.Request) string {
	if p, ok := auth.FromContext(r.Context()); ok {
		return p.Subject
	}
	h := sha256.Sum256([]byte(httpx.ClientIP(r) + "\n" + r.UserAgent()))
	return "anonymous:" + hex.EncodeToString(h[:16])
}

// reserve inserts the key's record, reporting whether this request owns
// it; a record older than IdempotencyTTL is deleted first, as if purged.
func (i *Idempotency) reserve(ctx context.Context, scope, key, hash string) (bool, error) {
	now := i.now()
	_, err := i.db.NewDelete().Model((*idempotencyRecord)(nil)).
		Where("scope = ? AND key = ? AND created_at < ?", scope, key, now.Add(-IdempotencyTTL)).Exec(ctx)
	if err != nil {
		return false, fmt.Errorf("expire idempotency key: %w", err)
	}
	rec := &idempotencyRecord{Scope: scope, Key: key, RequestHash: hash, CreatedAt: now}
	res, err := i.db.NewInsert().Model(rec).On("CONFLICT DO NOTHING").Exec(ctx)
	if err != nil {
		return false, fmt.Errorf("reserve idempotency key: %w", err)
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}

// Purge deletes the records older than IdempotencyTTL at now and returns
// how many.
func (i *Idempotency) Purge(ctx context.Context, now time.Time) (int64, error) {
	res, err := i.db.NewDelete().Model((*idempotencyRecord)(nil)).
		Where("created_at < ?", now.Add(-IdempotencyTTL)).Exec(ctx)
	if err != nil {
		return 0, fmt.Errorf("purge idempotency keys: %w", err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}

// storableBody is the answer body as an idempotency record may keep it:
// a JSON object without its credential fields; any other body of an answer
// marked no-store is not kept at all.
func storableBody(h http.Header, body []byte) []byte {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(body, &m); err != nil {
		if strings.Contains(h.Get("Cache-Control"), "no-store") {
			return nil
		}
		return body
	}
	stripped := false
	for _, f := range CredentialFields {
		if _, ok := m[f]; ok {
			delete(m, f)
			stripped = true
		}
	}
	if !stripped {
		return body
	}
	out, err := json.Marshal(m)
	if err != nil {
		return nil
	}
	return out
}

// PurgeJob is the scheduler job that runs Purge.
func (i *Idempotency) PurgeJob() IdempotencyPurgeJob { return IdempotencyPurgeJob{i} }

// IdempotencyPurgeJob deletes expired idempotency records; it is a
// scheduler job (Name, Run).
type IdempotencyPurgeJob struct{ i *Idempotency }

// Name names the job in logs.
func (IdempotencyPurgeJob) Name() string { return "idempotency-purge" }

// Run purges the records expired at now.
func (j IdempotencyPurgeJob) Run(ctx context.Context, now time.Time) error {
	_, err := j.i.Purge(ctx, now)
	return err
}

func (i *Idempotency) replay(w http.ResponseWriter, r *http.Request, scope, key, hash string) {
	var rec idempotencyRecord
	err := i.db.NewSelect().Model(&rec).Where("scope = ? AND key = ?", scope, key).Scan(r.Context())
	if err != nil {
		httpx.WriteError(w, r, fmt.Errorf("load idempotency key: %w", err))
		return
	}
	switch {
	case rec.RequestHash != hash:
		httpx.WriteError(w, r, httpx.Conflict("idempotency_key_reused", errKeyReused.Error()))
	case !rec.Done:
		httpx.WriteError(w, r, httpx.Conflict("idempotency_in_progress", errKeyInProgress.Error()))
	default:
		if rec.ContentType != "" {
			w.Header().Set("Content-Type", rec.ContentType)
		}
		if rec.Position != "" {
			w.Header().Set("X-Kabinet-Position", rec.Position)
		}
		w.Header().Set("Idempotent-Replayed", "true")
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(rec.Status)
		w.Write(rec.Body)
	}
}

// capture passes an answer through while keeping its status and, up to
// limit bytes (0: no limit), its body.
type capture struct {
	http.ResponseWriter
	status int
	body   bytes.Buffer
	limit  int
	wrote  bool
}

func (c *capture) WriteHeader(s int) {
	if !c.wrote {
		c.status, c.wrote = s, true
	}
	c.ResponseWriter.WriteHeader(s)
}

func (c *capture) Write(b []byte) (int, error) {
	c.wrote = true
	if c.limit == 0 || c.body.Len() < c.limit {
		c.body.Write(b)
	}
	return c.ResponseWriter.Write(b)
}
