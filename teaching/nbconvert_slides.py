"""nbconvert settings for `make slides`: the deck as a reveal.js page that needs no network.

nbconvert's slides load reveal.js, require.js, jQuery and MathJax from CDNs. Here every one of them
is a path relative to the page, filled in by `make slides` beside it in build/slides/, so the page
works from a projector laptop with no network, opened straight from disk.
"""

from nbconvert.preprocessors import Preprocessor

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


class DropWidgetViews(Preprocessor):
    """Leave out the outputs that are widgets. A static page has no kernel to drive them, and
    without their state nbconvert would print their Python repr in their place; the live view
    leaves its filmstrip as a plain image, which is what a static page can show anyway."""

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type == "code":
            cell.outputs = [output for output in cell.outputs if WIDGET_VIEW not in output.get("data", {})]
        return cell, resources


c = get_config()  # noqa: F821  (nbconvert runs this file with get_config defined)

c.SlidesExporter.reveal_url_prefix = "reveal.js"  # reveal.js 4.0.2 from npm: the version the template is written for
c.HTMLExporter.require_js_url = "require.js"  # requirejs from npm: the template loads reveal.js through it
c.HTMLExporter.jquery_url = "jquery.min.js"  # jquery from npm: the template's scrolling of long slides uses it
c.HTMLExporter.mathjax_url = (
    "mathjax/MathJax.js?config=TeX-AMS-MML_HTMLorMML-full,Safe"  # jupyter-server-mathjax's copy
)
c.SlidesExporter.reveal_scroll = True  # a slide taller than the screen scrolls, as in RISE
c.SlidesExporter.reveal_theme = "white"  # nbconvert's "simple" fetches Google's fonts; white's are in reveal.js
c.SlidesExporter.extra_template_basedirs = ["teaching/templates"]
c.SlidesExporter.template_name = "offline_reveal"  # reveal's template without its Mermaid import
# Widget state kept in the page would make it fetch the widget renderer from a CDN.
c.ExecutePreprocessor.store_widget_state = False
c.SlidesExporter.preprocessors = [DropWidgetViews]  # run after the notebook is executed
