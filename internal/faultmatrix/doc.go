// Package faultmatrix holds the fault-matrix test: every fault against both
// clients, in one table, with what the user gets. It has no non-test code.
package faultmatrix
