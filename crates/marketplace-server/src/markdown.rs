//! Listing overviews: markdown rendered to HTML (pulldown-cmark), then sanitised (ammonia), so a
//! vendor's text can never run script in a customer's marketplace page.

use pulldown_cmark::{Options, Parser, html};

/// The overview as safe HTML: raw HTML in the markdown is cleaned, links get
/// `rel="noopener noreferrer"`, and only http(s) and mailto URLs survive.
pub fn overview_html(markdown: &str) -> String {
    let mut unsafe_html = String::with_capacity(markdown.len() * 3 / 2);
    let parser = Parser::new_ext(
        markdown,
        Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH,
    );
    html::push_html(&mut unsafe_html, parser);
    ammonia::Builder::default()
        .url_schemes(["http", "https", "mailto"].into())
        .link_rel(Some("noopener noreferrer"))
        .clean(&unsafe_html)
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_is_rendered() {
        let html = overview_html("## Sync\n\nKeep **accounts** in [sync](https://example.com).");
        assert!(html.contains("<h2>Sync</h2>"), "{html}");
        assert!(html.contains("<strong>accounts</strong>"), "{html}");
        assert!(html.contains(r#"href="https://example.com""#), "{html}");
        assert!(html.contains("noopener"), "{html}");
    }

    #[test]
    fn scripts_and_dangerous_urls_are_removed() {
        let html = overview_html(
            "<script>alert(1)</script>\n\n<img src=x onerror=alert(2)>\n\n[x](javascript:alert(3))\n\n<a href=\"data:text/html,hi\">d</a>",
        );
        for bad in ["<script", "onerror", "javascript:", "data:text"] {
            assert!(!html.contains(bad), "{bad} survived in {html}");
        }
    }
}
