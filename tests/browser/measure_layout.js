// What tests/browser/test_elder.py measures on a page: page.evaluate(this, [elder, minTarget])
// answers a list of problems (empty: none).
([elder, minTarget]) => {
  const root = document.documentElement;
  const vw = root.clientWidth;
  const problems = [];
  const name = (el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
    + (el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\s+/).join('.') : '');
  const visible = (el) => {
    if (el.closest('.visually-hidden, .skip-link, [hidden], [inert]')) return false;
    const r = el.getBoundingClientRect();
    const s = getComputedStyle(el);
    return r.width > 1 && r.height > 1 && s.visibility !== 'hidden' && s.display !== 'none';
  };
  if (root.scrollWidth > vw) problems.push(`horizontal scroll: ${root.scrollWidth} > ${vw}`);
  for (const el of document.querySelectorAll('body *')) {
    if (!visible(el)) continue;
    const r = el.getBoundingClientRect();
    if (r.left < -0.5 || r.right > vw + 0.5) {
      problems.push(`outside the viewport: ${name(el)} ${r.left.toFixed(1)}..${r.right.toFixed(1)}`);
    }
    const s = getComputedStyle(el);
    // A text field scrolls its own text by design (a 50-character name cannot fit 320 px).
    if (s.overflowX !== 'visible' && el.tagName !== 'INPUT' && el.scrollWidth > el.clientWidth + 1) {
      problems.push(`cut off: ${name(el)} ${el.scrollWidth} > ${el.clientWidth}`);
    }
    const text = Array.from(el.childNodes).some((n) => n.nodeType === 3 && n.textContent.trim());
    if (elder && text) {
      const ratio = parseFloat(s.lineHeight) / parseFloat(s.fontSize);
      if (!(ratio >= 1.3)) problems.push(`line spacing ${s.lineHeight} / ${s.fontSize}: ${name(el)}`);
    }
  }
  const targets = document.querySelectorAll('button, a[href], input:not([type=checkbox]), label.check');
  for (const el of targets) {
    if (!visible(el)) continue;
    const r = el.getBoundingClientRect();
    if (r.height < minTarget - 0.5 || r.width < minTarget - 0.5) {
      problems.push(`small target ${r.width.toFixed(1)}x${r.height.toFixed(1)}: ${name(el)}`);
    }
  }
  return problems;
}
