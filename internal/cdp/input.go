package cdp

import (
	"context"
	"encoding/json"
	"fmt"
)

// box is where an element sits in the viewport, in CSS pixels.
type box struct {
	X, Y, Width, Height float64
	Covered             string // the element on top at the centre, when it is not this one
}

// locate scrolls the first element matching selector into view and
// returns its box; it fails when nothing matches or the element has no size.
func (p *Page) locate(ctx context.Context, selector string) (box, error) {
	sel, _ := json.Marshal(selector)
	js := `(() => {
	const el = document.querySelector(` + string(sel) + `);
	if (!el) throw new Error("no element matches " + ` + string(sel) + `);
	el.scrollIntoView({block: "center", inline: "center"});
	const r = el.getBoundingClientRect();
	const x = r.left + r.width / 2, y = r.top + r.height / 2;
	const top = document.elementFromPoint(x, y);
	const covered = top && top !== el && !el.contains(top) ? top.outerHTML.slice(0, 120) : "";
	return {X: x, Y: y, Width: r.width, Height: r.height, Covered: covered};
})()`
	raw, err := p.Eval(ctx, js)
	if err != nil {
		return box{}, err
	}
	var b box
	if err := json.Unmarshal(raw, &b); err != nil {
		return box{}, fmt.Errorf("cdp: locate %s: %w", selector, err)
	}
	if b.Width <= 0 || b.Height <= 0 {
		return box{}, fmt.Errorf("cdp: %s is not visible (its box is %gx%g)", selector, b.Width, b.Height)
	}
	return b, nil
}

// Click clicks the first element matching selector as a person does:
// scrolled into view, a press and a release of the left button at the
// centre of its box. It fails when another element covers that point,
// since a person's click would land there instead.
func (p *Page) Click(ctx context.Context, selector string) error {
	b, err := p.locate(ctx, selector)
	if err != nil {
		return err
	}
	if b.Covered != "" {
		return fmt.Errorf("cdp: click %s: covered at its centre by %s", selector, b.Covered)
	}
	for _, ev := range []map[string]any{
		{"type": "mouseMoved", "x": b.X, "y": b.Y},
		{"type": "mousePressed", "x": b.X, "y": b.Y, "button": "left", "buttons": 1, "clickCount": 1},
		{"type": "mouseReleased", "x": b.X, "y": b.Y, "button": "left", "buttons": 0, "clickCount": 1},
	} {
		if err := p.call(ctx, "Input.dispatchMouseEvent", ev, nil); err != nil {
			return fmt.Errorf("click %s: %w", selector, err)
		}
	}
	return nil
}

// Type replaces the content of the input or textarea matching selector
// with text: it focuses the field, selects everything in it, deletes the
// selection with the Delete key and inserts text as an input method
// would, so the page sees the same input events as from a person.
func (p *Page) Type(ctx context.Context, selector, text string) error {
	if _, err := p.locate(ctx, selector); err != nil {
		return err
	}
	sel, _ := json.Marshal(selector)
	focus := `(() => {
	const el = document.querySelector(` + string(sel) + `);
	el.focus();
	if (document.activeElement !== el) throw new Error(` + string(sel) + ` + " cannot take the focus");
	if (typeof el.select === "function") el.select(); else document.execCommand("selectAll");
	return true;
})()`
	if _, err := p.Eval(ctx, focus); err != nil {
		return err
	}
	del := map[string]any{"key": "Delete", "code": "Delete", "windowsVirtualKeyCode": 46, "nativeVirtualKeyCode": 46}
	for _, typ := range []string{"rawKeyDown", "keyUp"} {
		del["type"] = typ
		if err := p.call(ctx, "Input.dispatchKeyEvent", del, nil); err != nil {
			return fmt.Errorf("type into %s: %w", selector, err)
		}
	}
	if text == "" {
		return nil
	}
	if err := p.call(ctx, "Input.insertText", map[string]any{"text": text}, nil); err != nil {
		return fmt.Errorf("type into %s: %w", selector, err)
	}
	return nil
}
