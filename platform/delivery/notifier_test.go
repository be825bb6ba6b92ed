package delivery_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kabinet/kabinet/platform/delivery"
)

func codeNotice() delivery.Notification {
	return delivery.Notification{Channel: "sms", To: "+79123456789", AccountID: "acc-1", Kind: "contact_code",
		Code: "482913", Text: "Код подтверждения: 482913. Действует 15 минут."}
}

func TestOutboxFile_RedactsCodesOutsideDevelopmentMode(t *testing.T) {
	dir := t.TempDir()
	o, err := delivery.OpenOutboxFile(dir)
	require.NoError(t, err)
	o.RedactCodes = true
	require.NoError(t, o.Notify(context.Background(), codeNotice()))
	require.NoError(t, o.Close())
	b, err := os.ReadFile(filepath.Join(dir, "outbox.jsonl"))
	require.NoError(t, err)
	assert.NotContains(t, string(b), "482913", "the code is nowhere in the file")
	assert.NotContains(t, string(b), `"code"`)
	assert.Contains(t, string(b), "Код подтверждения: [redacted].")
	assert.Contains(t, string(b), `"to":"+79123456789"`, "the rest of the notice is kept")
}

func TestOutboxFile_KeepsCodesInDevelopmentMode(t *testing.T) {
	dir := t.TempDir()
	o, err := delivery.OpenOutboxFile(dir)
	require.NoError(t, err)
	require.NoError(t, o.Notify(context.Background(), codeNotice()))
	require.NoError(t, o.Close())
	b, err := os.ReadFile(filepath.Join(dir, "outbox.jsonl"))
	require.NoError(t, err)
	assert.Contains(t, string(b), `"code":"482913"`)
}

func TestRedact_DropsTheCodeFromCodeAndText(t *testing.T) {
	r := delivery.Redact(codeNotice())
	assert.Empty(t, r.Code)
	assert.Equal(t, "Код подтверждения: [redacted]. Действует 15 минут.", r.Text)
	plain := delivery.Notification{Text: "Заявление принято"}
	assert.Equal(t, plain, delivery.Redact(plain))
}
