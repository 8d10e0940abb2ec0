package readme

import (
	"context"
	"os/exec"
)

// runCLI runs the command from source, as the README's first command does.
func runCLI(ctx context.Context, args []string) (string, error) {
	out, err := exec.CommandContext(ctx, "go", append([]string{"run", "../../cmd/authsdk"}, args...)...).Output()
	return string(out), err
}
