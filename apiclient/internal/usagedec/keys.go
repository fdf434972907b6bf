package usagedec

// keyCache remembers the member names of the last row by position, with
// the fields they name. The rows of a page (of every page) come with the
// same names in the same order, so comparing the bytes at a member's start
// with the name last seen at that position, quotes included, identifies
// most members with one memory comparison instead of a scan and a lookup.
type keyCache struct {
	text   []byte  // the names' raw text, quotes included, back to back
	ends   []int   // name m is text[ends[m-1]:ends[m]]
	fields []field // the field name m names
}

// rowKey is memberKey for the m-th member of a row, through the cache.
func (st *decoderState) rowKey(sc *scanner, i, m int) (field, int) {
	kc := &st.keys
	if m < len(kc.fields) {
		start := 0
		if m > 0 {
			start = kc.ends[m-1]
		}
		name := kc.text[start:kc.ends[m]]
		if end := i + len(name); end <= len(sc.buf) && string(sc.buf[i:end]) == string(name) {
			return kc.fields[m], sc.valueStart(end)
		}
	}
	f, end := st.keyField(sc, i)
	if end < 0 {
		return f, end
	}
	kc.put(m, sc.buf[i:end], f)
	return f, sc.valueStart(end)
}

// put makes name the m-th name, forgetting those after it: a row that
// differs from the last one teaches the cache its own order.
func (kc *keyCache) put(m int, name []byte, f field) {
	start := 0
	if m > 0 {
		start = kc.ends[m-1]
	}
	kc.text = append(kc.text[:start], name...)
	kc.ends = append(kc.ends[:m], len(kc.text))
	kc.fields = append(kc.fields[:m], f)
}
