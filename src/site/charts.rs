//! Inline SVG charts for the site.
