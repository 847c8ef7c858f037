// MathJax 2 settings for the site's pages, loaded by MathJax itself as config/local/ddlab.js: the
// hook (notebooks.py) copies jupyter-server-mathjax's MathJax there and mkdocs.yml's
// custom_mathjax_url names it, so the pages typeset their equations offline and from the disk.
MathJax.Hub.Config({
  tex2jax: {
    // The notebooks write inline math as $...$ (MathJax 2 reads only \(...\) unless told) and
    // display math as $$...$$; a literal dollar is written \$.
    inlineMath: [["$", "$"], ["\\(", "\\)"]],
    displayMath: [["$$", "$$"], ["\\[", "\\]"]],
    processEscapes: true,
  },
  // jupyter-server-mathjax ships only the STIX web fonts: ask for those, not MathJax's default
  // TeX fonts, which would be looked for, missed, and replaced by whatever the system has.
  "HTML-CSS": { availableFonts: [], webFont: "STIX-Web", imageFont: null },
  SVG: { font: "STIX-Web" },
  messageStyle: "none",   // no "Loading..." box in the corner while a page typesets
  // MathJax keeps a hidden MathML copy of each equation for screen readers; Chromium lays it out,
  // and MathJax's MathML styles ask TeX web fonts (not shipped) for its script letters (\mathcal).
  // The copy is never seen: give it the system's fonts, so nothing is fetched that is not there.
  styles: { ".MJX_Assistive_MathML [mathvariant]": { "font-family": "STIXGeneral, serif" } },
});
MathJax.Ajax.loadComplete("[MathJax]/config/local/ddlab.js");
