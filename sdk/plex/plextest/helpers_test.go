package plextest_test

import (
	"fmt"
	"net/url"
	"reflect"
)

func sprint(v any) string { return fmt.Sprintf("%v %+v %#v %s", v, v, v, v) }

func sameQuery(a, b string) bool {
	qa, errA := url.ParseQuery(a)
	qb, errB := url.ParseQuery(b)
	return errA == nil && errB == nil && reflect.DeepEqual(qa, qb)
}
