package assets

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strings"
)

// LoadNameList reads a list of metric names, one per line. Blank lines and
// lines starting with # are skipped.
func LoadNameList(path string) ([]string, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading name list: %w", err)
	}
	var names []string
	sc := bufio.NewScanner(bytes.NewReader(raw))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		names = append(names, line)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading name list %s: %w", path, err)
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("name list %s is empty", path)
	}
	return names, nil
}
