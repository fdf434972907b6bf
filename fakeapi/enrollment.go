package fakeapi

import (
	"strconv"
	"strings"
)

// department, account and subscription form the enrollment's hierarchy.
type department struct {
	idx  int
	id   int // departmentId
	name string
}

type account struct {
	id         int // accountId
	name       string
	ownerEmail string
	costCenter string
	dept       *department
}

type subscription struct {
	idx     int
	guid    string
	id      int64 // obsolete numeric subscriptionId; beyond int32 on purpose
	name    string
	admin   string // serviceAdministratorId
	offerID string
	acct    *account
}

// meter is a meter template offered in one region.
type meter struct {
	idx        int
	guid       string
	tmpl       *meterTemplate
	catIdx     int     // index into enrollment.categories
	region     *region // nil for meters without a region
	meterRgn   string
	product    string
	partNumber string
	productID  int
}

// enrollment is the immutable part of the generated data: built once by New.
type enrollment struct {
	seed        uint64
	number      string
	departments []*department
	accounts    []*account
	subs        []*subscription
	templates   []meterTemplate
	regions     []region
	meters      []*meter
	categories  []string
	offers      []marketplaceOffer
	publishers  []string // distinct publisher names, index = publisher index
	offerPubIdx []int
	rgNames     []string
	tagSets     []string
}

// nameAt picks names[i], numbering repeats when i runs past the list.
func nameAt(names []string, i int) string {
	n := names[i%len(names)]
	if i >= len(names) {
		n += " " + strconv.Itoa(i/len(names)+1)
	}
	return n
}

func newEnrollment(o *Options) *enrollment {
	e := &enrollment{seed: o.Seed, number: o.Enrollment, templates: meterTemplates(),
		regions: usageRegions(), offers: marketplaceOffers(),
		rgNames: resourceGroupNames(), tagSets: tagSets()}
	e.buildHierarchy(o.Departments, o.AccountsPerDepartment, o.SubscriptionsPerAccount)
	e.buildMeters()
	pub := map[string]int{}
	for _, of := range e.offers {
		k, ok := pub[of.publisher]
		if !ok {
			k = len(e.publishers)
			pub[of.publisher] = k
			e.publishers = append(e.publishers, of.publisher)
		}
		e.offerPubIdx = append(e.offerPubIdx, k)
	}
	return e
}

func (e *enrollment) buildHierarchy(nDept, nAcct, nSub int) {
	envs := environmentNames()
	for d := 0; d < nDept; d++ {
		dept := &department{idx: d, id: 3456 + 11*d, name: nameAt(departmentNames(), d)}
		e.departments = append(e.departments, dept)
		for a := 0; a < nAcct; a++ {
			k := d*nAcct + a
			acct := &account{
				id:         123456 + 7*k,
				name:       nameAt(accountNames(), k),
				ownerEmail: nameAt(ownerNames(), k) + "@contoso.com",
				costCenter: strconv.Itoa(1000 + 10*d + a),
				dept:       dept,
			}
			acct.ownerEmail = strings.ReplaceAll(acct.ownerEmail, " ", ".")
			e.accounts = append(e.accounts, acct)
			for s := 0; s < nSub; s++ {
				idx := len(e.subs)
				env := nameAt(envs, s)
				offer := "MS-AZR-0017P"
				if strings.HasPrefix(env, "Dev/Test") {
					offer = "MS-AZR-0148P"
				}
				e.subs = append(e.subs, &subscription{
					idx:     idx,
					guid:    guid(e.seed, domSubscription, uint64(idx)),
					id:      int64(2_000_000_000 + hash2(e.seed, domSubscription, uint64(idx), 3)%7_000_000_000),
					name:    acct.name + " " + env,
					admin:   acct.ownerEmail,
					offerID: offer,
					acct:    acct,
				})
			}
		}
	}
}

func (e *enrollment) buildMeters() {
	catIdx := map[string]int{}
	for t := range e.templates {
		tm := &e.templates[t]
		if _, ok := catIdx[tm.category]; !ok {
			catIdx[tm.category] = len(e.categories)
			e.categories = append(e.categories, tm.category)
		}
		if tm.fixedRegion != nil {
			e.addMeter(tm, nil, *tm.fixedRegion, catIdx[tm.category])
			continue
		}
		for r := range e.regions {
			e.addMeter(tm, &e.regions[r], e.regions[r].meterRegion, catIdx[tm.category])
		}
	}
}

func (e *enrollment) addMeter(tm *meterTemplate, rg *region, meterRegion string, cat int) {
	idx := len(e.meters)
	product := productName(tm, meterRegion)
	e.meters = append(e.meters, &meter{
		idx:        idx,
		guid:       guid(e.seed, domMeter, uint64(idx)),
		tmpl:       tm,
		catIdx:     cat,
		region:     rg,
		meterRgn:   meterRegion,
		product:    product,
		partNumber: partNumber(e.seed, tm.partPrefix, uint64(idx)),
		productID:  1000 + idx,
	})
}

// productName joins a meter's names the way the EA "product" field does.
func productName(tm *meterTemplate, meterRegion string) string {
	p := tm.name
	if tm.subCategory != "" {
		p = tm.subCategory + " - " + p
	}
	if tm.category != tm.subCategory {
		p = tm.category + " " + p
	}
	if meterRegion != "" {
		p += " - " + meterRegion
	}
	return p
}

// partNumber makes a part number like "N7H-00015".
func partNumber(seed uint64, prefix string, idx uint64) string {
	n := hash2(seed, domPriceSheet, idx, 7) % 100000
	return prefix + "-" + string(appendDigits(nil, int(n), 5))
}
