// MathJax 3 configuration for pymdownx.arithmatex (generic mode); the script itself
// (js/mathjax/tex-svg.js) is copied into the site from the django-static-mathjax wheel.
window.MathJax = {
  tex: {
    inlineMath: [["\\(", "\\)"]],
    displayMath: [["\\[", "\\]"]],
    processEscapes: true,
    processEnvironments: true,
  },
  options: { ignoreHtmlClass: ".*|", processHtmlClass: "arithmatex" },
  svg: { fontCache: "global" },
};
