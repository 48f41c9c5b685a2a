package ui

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	tea "charm.land/bubbletea/v2"

	"github.com/mirrortop/mirrortop/internal/config"
	"github.com/mirrortop/mirrortop/internal/model"
)

// exportJob is one :export: the pane's rows as shown (filtered and sorted),
// taken in Update; the file is written in a command.
type exportJob struct {
	pane      string
	path      string // as typed
	format    string // "csv" or "json"
	header    []string
	rows      [][]string
	overwrite bool
}

// exportMsg is an export's outcome: written, refused because the file
// exists (exists: ask before overwriting), or failed.
type exportMsg struct {
	job    exportJob
	path   string // with ~ expanded
	exists bool
	err    error
}

// exportView starts :export PATH on the active pane.
func (m *Model) exportView(arg string) tea.Cmd {
	path := strings.TrimSpace(arg)
	if path == "" {
		m.setStatus(toneBad, "usage: :export PATH (a .csv or .json file)")
		return nil
	}
	format := strings.TrimPrefix(strings.ToLower(filepath.Ext(path)), ".")
	if format != "csv" && format != "json" {
		m.setStatus(toneBad, "cannot export to %q: the file name must end in .csv or .json", path)
		return nil
	}
	p := m.panes[m.active]
	t := p.table
	job := exportJob{pane: p.name, path: path, format: format}
	for _, c := range t.cols {
		job.header = append(job.header, c.Title)
	}
	job.rows = make([][]string, 0, len(t.view))
	for _, i := range t.view {
		r := t.at(i)
		rec := make([]string, len(t.cols))
		for c := range t.cols {
			rec[c] = model.Sanitize(cellText(r, c, m.now))
		}
		job.rows = append(job.rows, rec)
	}
	m.setStatus(toneMuted, "exporting %d rows of %s to %s…", len(job.rows), p.name, path)
	return writeExport(job)
}

// writeExport writes the file in a command: a new file with mode 0600, or,
// when the job says so, over an existing one.
func writeExport(job exportJob) tea.Cmd {
	return func() tea.Msg {
		path := config.ExpandHome(job.path)
		data, err := encodeExport(job)
		if err != nil {
			return exportMsg{job: job, path: path, err: err}
		}
		flags := os.O_WRONLY | os.O_CREATE | os.O_EXCL
		if job.overwrite {
			flags = os.O_WRONLY | os.O_CREATE | os.O_TRUNC
		}
		f, err := os.OpenFile(path, flags, 0o600)
		if errors.Is(err, fs.ErrExist) && !job.overwrite {
			return exportMsg{job: job, path: path, exists: true}
		}
		if err != nil {
			return exportMsg{job: job, path: path, err: err}
		}
		err = f.Chmod(0o600) // an overwritten file keeps its mode otherwise
		if _, werr := f.Write(data); err == nil {
			err = werr
		}
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		return exportMsg{job: job, path: path, err: err}
	}
}

// exportDone reports an export in the status line, or asks before
// overwriting an existing file: its name, or "yes", typed.
func (m *Model) exportDone(msg exportMsg) tea.Cmd {
	switch {
	case msg.exists:
		base := filepath.Base(msg.path)
		m.ask("Overwrite "+model.Sanitize(msg.path)+"?", []string{
			"The file exists. Exporting replaces it with the " + msg.job.pane + " pane as shown.",
			fmt.Sprintf("Type %q (or yes) and press enter to overwrite it; esc keeps it.", model.Sanitize(base)),
		}, func(m *Model, typed string) tea.Cmd {
			if typed != base && typed != "yes" {
				m.setStatus(toneWarn, "not overwritten: %s is unchanged", model.Sanitize(msg.path))
				return nil
			}
			job := msg.job
			job.overwrite = true
			return writeExport(job)
		})
		m.dialog.cancel = "cancelled: " + model.Sanitize(msg.path) + " is unchanged"
	case msg.err != nil:
		m.setStatus(toneBad, "export failed: %s", model.Sanitize(msg.err.Error()))
	default:
		m.setStatus(toneOK, "exported %d rows of %s to %s", len(msg.job.rows), msg.job.pane, model.Sanitize(msg.path))
	}
	return nil
}

// encodeExport makes the file's content: CSV with the column titles as its
// header, or a JSON array of objects keyed by the column titles, in column
// order.
func encodeExport(job exportJob) ([]byte, error) {
	var b bytes.Buffer
	if job.format == "csv" {
		w := csv.NewWriter(&b)
		if err := w.Write(job.header); err != nil {
			return nil, err
		}
		for _, r := range job.rows {
			rec := make([]string, len(r))
			for i, v := range r {
				rec[i] = csvSafe(v)
			}
			if err := w.Write(rec); err != nil {
				return nil, err
			}
		}
		w.Flush()
		return b.Bytes(), w.Error()
	}
	enc := func(s string) string {
		var sb bytes.Buffer
		e := json.NewEncoder(&sb)
		e.SetEscapeHTML(false)
		_ = e.Encode(s) // a string always encodes
		return strings.TrimSuffix(sb.String(), "\n")
	}
	b.WriteString("[")
	for i, r := range job.rows {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString("\n  {")
		for c, v := range r {
			if c > 0 {
				b.WriteString(", ")
			}
			b.WriteString(enc(job.header[c]) + ": " + enc(v))
		}
		b.WriteString("}")
	}
	if len(job.rows) > 0 {
		b.WriteString("\n")
	}
	b.WriteString("]\n")
	return b.Bytes(), nil
}

// csvSafe keeps a server's text from running as a spreadsheet formula: a
// cell starting with =, +, @, a tab or a carriage return, or with - not
// followed by a number, gets a leading apostrophe.
func csvSafe(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '@', '\t', '\r':
		return "'" + s
	case '-':
		if len(s) > 1 && !strings.ContainsAny(s[1:2], "0123456789.") {
			return "'" + s
		}
	}
	return s
}

// Tab after ":export " offers a file named after the active pane, in
// either format.
func init() {
	commandArgs["export"] = func(m *Model) []string {
		name := m.panes[m.active].cmd
		return []string{name + ".csv", name + ".json"}
	}
}
