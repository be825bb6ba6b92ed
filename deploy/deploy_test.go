// Package deploy_test checks, without Docker or a cluster, what can be
// checked here: the compose file and the Kubernetes manifests parse and say
// what the topology needs, and the image's build target builds statically.
package deploy_test

import (
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"
)

func TestCompose_TopologyWithHealthChecks(t *testing.T) {
	raw, err := os.ReadFile("compose.yaml")
	require.NoError(t, err)
	var c struct {
		Services map[string]struct {
			Image       string         `yaml:"image"`
			Build       map[string]any `yaml:"build"`
			Command     []string       `yaml:"command"`
			Healthcheck struct {
				Test []string `yaml:"test"`
			} `yaml:"healthcheck"`
			DependsOn map[string]map[string]string `yaml:"depends_on"`
		} `yaml:"services"`
	}
	require.NoError(t, yaml.Unmarshal(raw, &c))
	for _, name := range []string{"kurrentdb1", "kurrentdb2", "kurrentdb3", "postgres", "api1", "api2", "worker"} {
		s, ok := c.Services[name]
		require.True(t, ok, "service %s", name)
		assert.NotEmpty(t, s.Healthcheck.Test, "%s has a health check", name)
	}
	assert.Equal(t, []string{"serve", "--role", "api"}, c.Services["api1"].Command)
	assert.Equal(t, []string{"serve", "--role", "worker"}, c.Services["worker"].Command)
	assert.Equal(t, "service_healthy", c.Services["worker"].DependsOn["postgres"]["condition"])
	assert.Equal(t, "deploy/Dockerfile", c.Services["api2"].Build["dockerfile"])
}

func TestKubernetes_ManifestsParseWithProbesAndResources(t *testing.T) {
	files, err := filepath.Glob("k8s/*.yaml")
	require.NoError(t, err)
	kinds := map[string]int{}
	for _, f := range files {
		raw, err := os.ReadFile(f)
		require.NoError(t, err)
		dec := yaml.NewDecoder(bytes.NewReader(raw))
		for {
			var doc map[string]any
			err := dec.Decode(&doc)
			if errors.Is(err, io.EOF) {
				break
			}
			require.NoError(t, err, f)
			kind, _ := doc["kind"].(string)
			require.NotEmpty(t, kind, "%s: every document has a kind", f)
			require.NotEmpty(t, doc["apiVersion"], f)
			kinds[kind]++
			if kind == "Deployment" {
				checkDeployment(t, f, doc)
			}
		}
	}
	assert.Equal(t, 2, kinds["Deployment"], "api and worker")
	assert.Equal(t, 1, kinds["Service"])
	assert.Equal(t, 1, kinds["ConfigMap"])
	assert.Equal(t, 1, kinds["Secret"])
	assert.Equal(t, 1, kinds["PersistentVolumeClaim"])
	assert.Equal(t, 2, kinds["PodDisruptionBudget"])
}

func checkDeployment(t *testing.T, file string, doc map[string]any) {
	spec := doc["spec"].(map[string]any)["template"].(map[string]any)["spec"].(map[string]any)
	sc := spec["securityContext"].(map[string]any)
	assert.Equal(t, true, sc["runAsNonRoot"], "%s runs as non-root", file)
	for _, c := range spec["containers"].([]any) {
		c := c.(map[string]any)
		assert.Equal(t, "/readyz", c["readinessProbe"].(map[string]any)["httpGet"].(map[string]any)["path"], file)
		assert.Equal(t, "/healthz", c["livenessProbe"].(map[string]any)["httpGet"].(map[string]any)["path"], file)
		assert.NotEmpty(t, c["resources"].(map[string]any)["requests"], file)
		secretRefs := 0
		for _, e := range c["env"].([]any) {
			if vf, ok := e.(map[string]any)["valueFrom"].(map[string]any); ok && vf["secretKeyRef"] != nil {
				secretRefs++
			}
		}
		assert.Greater(t, secretRefs, 0, "%s takes its secrets from a Secret", file)
	}
}

// TestDockerfile_BuildTargetBuildsStatically builds what the image builds,
// the way it builds it (CGO off), so the image cannot fail on a cgo import.
func TestDockerfile_BuildTargetBuildsStatically(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	raw, err := os.ReadFile("Dockerfile")
	require.NoError(t, err)
	m := regexp.MustCompile(`CGO_ENABLED=0 GOOS=linux go build .* (\./cmd/\S+)`).FindSubmatch(raw)
	require.NotNil(t, m, "the Dockerfile builds a package with CGO off")
	assert.Contains(t, string(raw), "USER nonroot")
	cmd := exec.Command("go", "build", "-o", filepath.Join(t.TempDir(), "kabinet"), string(m[1]))
	cmd.Dir = ".."
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, string(out))
}
