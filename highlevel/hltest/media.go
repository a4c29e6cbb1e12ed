package hltest

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/url"
	"path"
	"strconv"
	"strings"
)

// maxUpload is HighLevel's media limit.
const maxUpload = 25 << 20

type mediaFile struct {
	meta
	name, url, contentType, parentID, sha256 string
	size                                     int64
	hosted                                   bool
}

func (f *mediaFile) json(locationID string) map[string]any {
	out := map[string]any{"_id": f.id, "id": f.id, "name": f.name, "url": f.url, "path": f.url,
		"altId": locationID, "altType": "location", "type": "file", "size": f.size,
		"contentType": f.contentType, "createdAt": iso(f.added), "updatedAt": iso(f.updated)}
	if f.parentID != "" {
		out["parentId"] = f.parentID
	}
	if f.sha256 != "" {
		out["sha256"] = f.sha256
	}
	return out
}

// uploadMedia is POST /medias/upload-file: multipart with "file" (at most
// 25 MB), or hosted=true with fileUrl. Only the size and SHA-256 of the
// content are kept.
func (s *Server) uploadMedia(c *call) (response, *apiError) {
	mt, params, err := mime.ParseMediaType(c.r.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/form-data" || params["boundary"] == "" {
		return fail(errBadRequest("Content-Type must be multipart/form-data"))
	}
	mr := multipart.NewReader(bytes.NewReader(c.body), params["boundary"])
	form := map[string]string{}
	f := &mediaFile{}
	gotFile := false
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fail(errBadRequest("malformed multipart body"))
		}
		name := part.FormName()
		switch name {
		case "file":
			h := sha256.New()
			n, err := io.Copy(h, io.LimitReader(part, maxUpload+1))
			if err != nil {
				return fail(errBadRequest("malformed multipart body"))
			}
			if n > maxUpload {
				return fail(errBadRequest("File size exceeds the 25 MB limit"))
			}
			gotFile = true
			f.size, f.sha256 = n, hex.EncodeToString(h.Sum(nil))
			f.name = part.FileName()
			f.contentType = part.Header.Get("Content-Type")
		case "hosted", "fileUrl", "name", "parentId":
			v, _ := io.ReadAll(io.LimitReader(part, 8<<10))
			form[name] = string(v)
		default:
			return fail(errUnprocessable("property " + name + " should not exist"))
		}
	}
	hosted := form["hosted"] == "true"
	switch {
	case hosted:
		u, err := url.Parse(form["fileUrl"])
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return fail(errUnprocessable("fileUrl must be a URL address"))
		}
		f.hosted, f.url = true, form["fileUrl"]
		if f.name == "" {
			f.name = path.Base(u.Path)
		}
	case !gotFile:
		return fail(errBadRequest("file is required unless hosted is true"))
	}
	if form["name"] != "" {
		f.name = form["name"]
	}
	f.parentID = form["parentId"]
	// Clients name the owner in the query (altType=location&altId=<id>);
	// only the token's own location may own the file.
	if at := c.q("altType"); at != "" && at != "location" {
		return fail(errUnprocessable("altType must be one of the following values: location"))
	}
	if id := c.q("altId"); id != "" {
		if _, err := c.scope(id); err != nil {
			return fail(err)
		}
	}
	l := c.loc
	l.mu.Lock()
	defer l.mu.Unlock()
	f.meta = s.newMeta(l, c.now)
	if !f.hosted {
		ext := strings.ToLower(path.Ext(f.name))
		f.url = "https://assets.cdn.filesafe.space/" + l.cfg.ID + "/media/" + f.id + ext
	}
	l.media.put(f)
	return ok(map[string]any{"fileId": f.id, "url": f.url})
}

func (s *Server) listMedia(c *call) (response, *apiError) {
	var msgs []string
	for _, p := range []string{"sortBy", "sortOrder", "type", "altType", "altId"} {
		if c.q(p) == "" {
			msgs = append(msgs, p+" should not be empty")
		}
	}
	if c.q("altType") != "" && c.q("altType") != "location" {
		msgs = append(msgs, "altType must be one of the following values: location")
	}
	if len(msgs) > 0 {
		return fail(errUnprocessable(msgs...))
	}
	l, err := c.scope(c.q("altId"))
	if err != nil {
		return fail(err)
	}
	offset, limit := atoiDefault(c.q("offset"), 0), atoiDefault(c.q("limit"), 100)
	q := strings.ToLower(c.q("query"))
	l.mu.RLock()
	defer l.mu.RUnlock()
	out := []map[string]any{}
	n := 0
	l.media.each(func(f *mediaFile) bool {
		if q != "" && !strings.Contains(strings.ToLower(f.name), q) {
			return true
		}
		if c.q("parentId") != "" && f.parentID != c.q("parentId") {
			return true
		}
		if n >= offset && len(out) < limit {
			out = append(out, f.json(l.cfg.ID))
		}
		n++
		return true
	})
	return ok(map[string]any{"files": out, "total": strconv.Itoa(n)})
}

func (s *Server) deleteMedia(c *call) (response, *apiError) {
	l, err := c.scope(c.q("altId"))
	if err != nil {
		return fail(err)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, found := l.media.remove(c.param("id")); !found {
		return fail(errBadRequest("File with id %s not found", c.param("id")))
	}
	return ok(map[string]any{"success": true})
}
