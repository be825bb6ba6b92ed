package commands

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
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
type Idempotency struct {
	db  *sqldb.DB
	now func() time.Time
}

// MaxIdempotentBody bounds the request bodies the middleware buffers to hash.
const MaxIdempotentBody = 12 << 20

// IdempotencyMigrations are the idempotency keys' table, oldest first.
var IdempotencyMigrations = schema.Component{Name: "idempotency", Migrations: []schema.Migration{
	{ID: "0001_tables", Up: schema.SQL(`CREATE TABLE IF NOT EXISTS "idempotency_keys" (
		"scope" VARCHAR NOT NULL, "key" VARCHAR NOT NULL, "request_hash" VARCHAR NOT NULL,
		"done" BOOLEAN NOT NULL, "status" {int} NOT NULL, "content_type" VARCHAR NOT NULL,
		"position" VARCHAR NOT NULL, "body" {blob}, "created_at" {time} NOT NULL,
		PRIMARY KEY ("scope", "key"))`)},
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
		scope := "anonymous"
		if p, ok := auth.FromContext(r.Context()); ok {
			scope = p.Subject
		}
		ctx := r.Context()
		rec := &idempotencyRecord{Scope: scope, Key: key, RequestHash: hash, CreatedAt: i.now()}
		res, err := i.db.NewInsert().Model(rec).On("CONFLICT DO NOTHING").Exec(ctx)
		if err != nil {
			httpx.WriteError(w, r, fmt.Errorf("reserve idempotency key: %w", err))
			return
		}
		if n, _ := res.RowsAffected(); n == 0 {
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
			Set("body = ?", cw.body.Bytes()).
			Where("scope = ? AND key = ?", scope, key).Exec(context.WithoutCancel(ctx))
		if err != nil {
			httpx.Logger(r).Error("store idempotent answer", "err", err)
		}
	})
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
