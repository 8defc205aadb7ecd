package clerk

import (
	"context"
	"encoding/json"
	"runtime"
	"unsafe"
)

// PageIterator walks the pages of a list operation, one request per page:
//
//	it := client.Pages(ctx, clerk.OpUsersList, clerk.Params{"limit": 100})
//	defer it.Close()
//	for it.Next() {
//		var users []clerk.User
//		if err := json.Unmarshal(it.Page(), &users); err != nil { ... }
//	}
//	if err := it.Err(); err != nil { ... }
//
// An iterator is for one goroutine. It frees its C pager when the pages end, on an error
// and on Close (a finalizer closes a forgotten one).
type PageIterator struct {
	ctx  context.Context
	h    *handle
	page json.RawMessage
	err  error
	done bool
}

// Pages starts paging through a list operation with params (limit is the page size,
// offset the start). No request is made until Next; an unknown or non-list operation or
// bad params make the first Next return false with the error in Err. ctx bounds every
// Next.
func (c *Client) Pages(ctx context.Context, op Operation, params Params) *PageIterator {
	it := &PageIterator{ctx: ctx}
	name, err := newCText(string(op), "op")
	if err != nil {
		it.err = err
		return it
	}
	p, err := paramsText(params)
	if err != nil {
		it.err = err
		return it
	}
	h := c.handle()
	client, ok := h.acquire()
	if !ok {
		it.err = h.closedError()
		return it
	}
	pager, o := cPagerNew(client, name, p)
	runtime.KeepAlive(c)
	h.release()
	if err := o.err(); err != nil {
		it.err = err
		return it
	}
	it.h = newHandle(pager, "pager", cPagerFree)
	runtime.SetFinalizer(it, (*PageIterator).Close)
	return it
}

// Next fetches the next page; false at the end or on an error (see Err).
func (it *PageIterator) Next() bool {
	it.page = nil
	if it.err != nil || it.done || it.h == nil {
		return false
	}
	o := it.h.call(it.ctx, it, func(ptr unsafe.Pointer, options cText) outcome {
		return cPagerNext(ptr, options)
	})
	if err := o.err(); err != nil {
		it.err = err
		it.Close()
		return false
	}
	if o.code == resultDone {
		it.Close()
		return false
	}
	it.page = o.text
	return true
}

// Page is the page Next fetched: the operation's response body, e.g.
// {"data": [...], "total_count": n} or a bare array.
func (it *PageIterator) Page() json.RawMessage { return it.page }

// Err is the error that ended the paging, or nil.
func (it *PageIterator) Err() error { return it.err }

// Close frees the pager; Next then returns false. Closing twice is fine.
func (it *PageIterator) Close() error {
	it.done = true
	it.h.close()
	return nil
}
