package fakeapi

// The generator derives every value from a hash of (seed, domain, indices)
// instead of a stateful random source, so that row i of day d can be produced
// on its own, in any order, by any goroutine, with the same result.

// mix is the splitmix64 finaliser: a fast bijective scrambler of 64 bits.
func mix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// Hash domains keep values of different kinds independent of each other.
const (
	domInstance uint64 = iota + 1
	domDaily
	domMeter
	domSubscription
	domMarketplace
	domPage
	domReport
	domBlobSig
	domPriceSheet
	domETag
)

// hash2 hashes a domain and two indices under the seed.
func hash2(seed, dom, a, b uint64) uint64 {
	return mix(mix(mix(seed^dom*0xd6e8feb86659fd93)^a) ^ b)
}

// unitFloat maps a hash to [0, 1).
func unitFloat(h uint64) float64 {
	return float64(h>>11) / (1 << 53)
}

const hexDigits = "0123456789abcdef"

// appendGUID writes a version-4-shaped GUID made from two hashes.
func appendGUID(b []byte, hi, lo uint64) []byte {
	hi = hi&^0xf000 | 0x4000     // version 4
	lo = lo&^(0xc<<60) | 0x8<<60 // RFC 4122 variant
	var raw [16]byte
	for k := 0; k < 8; k++ {
		raw[k] = byte(hi >> (56 - 8*k))
		raw[8+k] = byte(lo >> (56 - 8*k))
	}
	for k, c := range raw {
		if k == 4 || k == 6 || k == 8 || k == 10 {
			b = append(b, '-')
		}
		b = append(b, hexDigits[c>>4], hexDigits[c&15])
	}
	return b
}

// guid returns a GUID string for (seed, domain, a).
func guid(seed, dom, a uint64) string {
	return string(appendGUID(nil, hash2(seed, dom, a, 1), hash2(seed, dom, a, 2)))
}

// appendHex writes h as 16 lower-case hex digits.
func appendHex(b []byte, h uint64) []byte {
	for k := 60; k >= 0; k -= 4 {
		b = append(b, hexDigits[(h>>uint(k))&15])
	}
	return b
}
