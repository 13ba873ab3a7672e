//! Hosted-UI branding, Cognito's classic UI customization (SetUICustomization):
//! a pool's default (`ALL`) and each app client's own stylesheet and logo. The
//! stylesheet may only style Cognito's customizable classes with plain values:
//! it is parsed (servo's `cssparser`) and written out again from its tokens,
//! so nothing but those rules reaches a page (no at-rules, no `url()`, no
//! other selectors). The logo is a PNG or JPEG of at most 100 KB. The
//! declared pool's `[branding]` may also set an accent colour, which becomes
//! a stylesheet of its own (`accent_theme`).

use cssparser::{Parser, ToCss, Token};

use crate::pools::InvalidSetting;

/// The `ClientId` of a pool's default customization.
pub(crate) const ALL_CLIENTS: &str = "ALL";

/// The largest logo Cognito accepts.
const MAX_LOGO_BYTES: usize = 100 * 1024;
/// The longest stylesheet Cognito accepts (`CSS`, 131072 characters).
const MAX_CSS_CHARS: usize = 131_072;

/// The class selectors a stylesheet may use, as Cognito lists them.
pub(crate) const CUSTOMIZABLE: &[&str] = &[
    ".background-customizable",
    ".banner-customizable",
    ".errorMessage-customizable",
    ".idpButton-customizable",
    ".idpButton-customizable:hover",
    ".inputField-customizable",
    ".inputField-customizable:focus",
    ".label-customizable",
    ".legalText-customizable",
    ".logo-customizable",
    ".submitButton-customizable",
    ".submitButton-customizable:hover",
    ".textDescription-customizable",
];

/// The properties a rule may set: colours, borders, type, spacing and size.
/// None of them can load anything, and their values are checked as well.
const PROPERTIES: &[&str] = &[
    "background-color",
    "border",
    "border-bottom",
    "border-color",
    "border-left",
    "border-radius",
    "border-right",
    "border-style",
    "border-top",
    "border-width",
    "box-shadow",
    "color",
    "font-family",
    "font-size",
    "font-style",
    "font-weight",
    "height",
    "letter-spacing",
    "line-height",
    "margin",
    "margin-bottom",
    "margin-left",
    "margin-right",
    "margin-top",
    "max-height",
    "max-width",
    "min-height",
    "min-width",
    "opacity",
    "padding",
    "padding-bottom",
    "padding-left",
    "padding-right",
    "padding-top",
    "text-align",
    "text-decoration",
    "text-transform",
    "width",
];

/// The functions a value may call: colours only.
const FUNCTIONS: &[&str] = &["rgb", "rgba", "hsl", "hsla"];

/// The image formats Cognito takes for a logo.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ImageKind {
    Png,
    Jpeg,
}

impl ImageKind {
    /// The format of `bytes`, by their signature; None for anything else.
    fn of(bytes: &[u8]) -> Option<ImageKind> {
        if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            Some(ImageKind::Png)
        } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some(ImageKind::Jpeg)
        } else {
            None
        }
    }

    pub(crate) fn content_type(self) -> &'static str {
        match self {
            ImageKind::Png => "image/png",
            ImageKind::Jpeg => "image/jpeg",
        }
    }
}

/// A logo: a PNG or JPEG file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Logo {
    pub(crate) kind: ImageKind,
    pub(crate) bytes: Vec<u8>,
}

impl Logo {
    /// Checks an uploaded image as Cognito does: a PNG or JPEG of at most 100 KB.
    pub(crate) fn new(bytes: Vec<u8>) -> Result<Logo, InvalidSetting> {
        if bytes.len() > MAX_LOGO_BYTES {
            return Err(InvalidSetting::Parameter(
                "The logo image is larger than 100 KB.".to_owned(),
            ));
        }
        let kind = ImageKind::of(&bytes).ok_or_else(|| {
            InvalidSetting::Parameter("The logo image must be a PNG or JPEG file.".to_owned())
        })?;
        Ok(Logo { kind, bytes })
    }
}

/// One customization: the default of the pool (`client_id` [`ALL_CLIENTS`])
/// or an app client's own, which replaces the default entirely.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct UiCustomization {
    pub(crate) client_id: String,
    /// The checked stylesheet, as written out again.
    pub(crate) css: Option<String>,
    pub(crate) logo: Option<Logo>,
    /// Counts the times it was set: Cognito's `CSSVersion`, and the assets' cache key.
    pub(crate) version: i64,
    pub(crate) created_at: i64,
    pub(crate) updated_at: i64,
}

/// A pool's customizations, as the hosted UI reads them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Branding {
    customizations: Vec<UiCustomization>,
}

impl Branding {
    pub(crate) fn new(customizations: Vec<UiCustomization>) -> Branding {
        Branding { customizations }
    }

    /// What pages for `client_id` show: its own customization, or else the pool's default.
    pub(crate) fn for_client(&self, client_id: &str) -> Option<&UiCustomization> {
        self.exactly(client_id)
            .or_else(|| self.exactly(ALL_CLIENTS))
    }

    /// The customization set for `client_id` ([`ALL_CLIENTS`] for the default) itself.
    pub(crate) fn exactly(&self, client_id: &str) -> Option<&UiCustomization> {
        self.customizations
            .iter()
            .find(|custom| custom.client_id == client_id)
    }
}

/// Checks a stylesheet against Cognito's rules and writes it out again from its
/// tokens: rules whose selector is one of [`CUSTOMIZABLE`], declarations of
/// [`PROPERTIES`] whose values are words, numbers, lengths, colours and
/// strings. Anything else is refused with what and where it is.
pub(crate) fn checked_css(css: &str) -> Result<String, InvalidSetting> {
    if css.chars().count() > MAX_CSS_CHARS {
        return Err(refused("it is longer than 131072 characters"));
    }
    let mut parser = Parser::new(css);
    let mut out = String::new();
    while !parser.is_exhausted() {
        let selector = selector(&mut parser)?;
        let block = parser
            .parse_nested_block(|block| read_all(block, declarations))
            .map_err(|_| refused(&format!("the rule for {selector} has no block")))??;
        out.push_str(&selector);
        out.push_str(" {\n");
        for (name, value) in block {
            out.push_str(&format!("  {name}: {value};\n"));
        }
        out.push_str("}\n");
    }
    Ok(out)
}

/// Runs `read` on a nested part, then skips what it left (cssparser fails a
/// nested parse that stops early), keeping `read`'s own refusal.
fn read_all<'i, T>(
    part: &mut Parser<'i>,
    read: impl FnOnce(&mut Parser<'i>) -> Result<T, InvalidSetting>,
) -> Result<Result<T, InvalidSetting>, cssparser::ParseError<()>> {
    let result = read(part);
    while part.next_including_whitespace_and_comments().is_ok() {}
    Ok(result)
}

fn refused(why: &str) -> InvalidSetting {
    InvalidSetting::Parameter(format!("The CSS is not valid: {why}."))
}

/// A rule's selector, up to and including its `{`: one of [`CUSTOMIZABLE`].
fn selector(parser: &mut Parser<'_>) -> Result<String, InvalidSetting> {
    let mut selector = String::new();
    loop {
        let line = parser.current_source_location().line + 1;
        match parser.next_including_whitespace() {
            Ok(Token::CurlyBracketBlock) => break,
            Ok(Token::WhiteSpace(_)) if selector.is_empty() => {}
            Ok(Token::WhiteSpace(_)) => selector.push(' '),
            Ok(Token::AtKeyword(name)) => {
                return Err(refused(&format!("@{name} is not allowed (line {line})")));
            }
            Ok(token) => selector.push_str(&token.to_css_string()),
            Err(_) => {
                return Err(refused(&format!(
                    "a rule ends without a block (line {line})"
                )));
            }
        }
    }
    let selector = selector.trim_end().to_owned();
    if CUSTOMIZABLE.contains(&selector.as_str()) {
        Ok(selector)
    } else {
        Err(refused(&format!(
            "the selector {selector:?} is not one of Cognito's customizable classes ({})",
            CUSTOMIZABLE.join(", ")
        )))
    }
}

/// The declarations of a rule's block, each checked.
fn declarations(block: &mut Parser<'_>) -> Result<Vec<(String, String)>, InvalidSetting> {
    let mut declarations = Vec::new();
    while !block.is_exhausted() {
        let name = match block.next() {
            Ok(Token::Ident(name)) => name.to_ascii_lowercase(),
            Ok(Token::Semicolon) => continue,
            Ok(token) => {
                return Err(refused(&format!(
                    "{} is not a property name",
                    token.to_css_string()
                )));
            }
            Err(_) => break,
        };
        if !PROPERTIES.contains(&name.as_str()) {
            return Err(refused(&format!("the property {name} is not allowed")));
        }
        if !matches!(block.next(), Ok(Token::Colon)) {
            return Err(refused(&format!("{name} has no ':' after it")));
        }
        let value = block
            .parse_until_after(cssparser::Delimiter::Semicolon, |value| {
                read_all(value, |value| checked_value(value, &name))
            })
            .map_err(|_| refused(&format!("the value of {name} cannot be read")))??;
        if value.is_empty() {
            return Err(refused(&format!("{name} has no value")));
        }
        declarations.push((name, value));
    }
    Ok(declarations)
}

/// A value, written out again, if every token of it is allowed.
fn checked_value(value: &mut Parser<'_>, name: &str) -> Result<String, InvalidSetting> {
    let mut out = String::new();
    loop {
        let token = match value.next_including_whitespace() {
            Ok(token) => token.clone(),
            Err(_) => return Ok(out.trim().to_owned()),
        };
        match &token {
            Token::Ident(_)
            | Token::Number { .. }
            | Token::Percentage { .. }
            | Token::Dimension { .. }
            | Token::Hash(_)
            | Token::IDHash(_)
            | Token::QuotedString(_)
            | Token::Comma => out.push_str(&token.to_css_string()),
            Token::WhiteSpace(_) => out.push(' '),
            Token::Delim('!') => match value.next() {
                Ok(Token::Ident(word)) if word.eq_ignore_ascii_case("important") => {
                    out.push_str("!important");
                }
                _ => return Err(refused(&format!("the value of {name} has a stray '!'"))),
            },
            Token::Delim('/') => out.push('/'),
            Token::Function(function) if FUNCTIONS.contains(&&*function.to_ascii_lowercase()) => {
                let inner = value
                    .parse_nested_block(|arguments| {
                        read_all(arguments, |arguments| checked_value(arguments, name))
                    })
                    .map_err(|_| refused(&format!("the value of {name} cannot be read")))??;
                out.push_str(&format!("{}({inner})", function.to_ascii_lowercase()));
            }
            other => {
                return Err(refused(&format!(
                    "{} is not allowed in the value of {name}",
                    match other {
                        Token::Function(function) => format!("{function}()"),
                        Token::UnquotedUrl(_) => "url()".to_owned(),
                        token => token.to_css_string(),
                    }
                )));
            }
        }
    }
}

/// The stylesheet that gives the hosted UI an accent colour (`[branding]`'s
/// `accent`, and `accent_dark` for the dark theme): buttons, links and focus
/// rings, with button text in white or near-black, whichever reads better on it.
pub(crate) fn accent_theme(light: &str, dark: Option<&str>) -> Result<String, InvalidSetting> {
    let colours = |hex: &str| -> Result<String, InvalidSetting> {
        let rgb = hex_colour(hex).ok_or_else(|| {
            InvalidSetting::Parameter(format!("{hex:?} is not a colour: use #rgb or #rrggbb"))
        })?;
        Ok(format!(
            "--accent: {}; --accent-text: {};",
            hex.to_ascii_lowercase(),
            text_on(rgb)
        ))
    };
    let mut css = format!(":root {{ {} }}\n", colours(light)?);
    if let Some(dark) = dark {
        css.push_str(&format!(
            "@media (prefers-color-scheme: dark) {{ :root {{ {} }} }}\n",
            colours(dark)?
        ));
    }
    Ok(css)
}

/// `#rgb` or `#rrggbb` as its three channels.
fn hex_colour(hex: &str) -> Option<[u8; 3]> {
    let digits = hex.strip_prefix('#')?;
    if !digits.chars().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    let channel = |text: &str| u8::from_str_radix(text, 16).ok();
    match digits.len() {
        3 => {
            let mut rgb = [0; 3];
            for (slot, digit) in rgb.iter_mut().zip(digits.chars()) {
                *slot = channel(&format!("{digit}{digit}"))?;
            }
            Some(rgb)
        }
        6 => Some([
            channel(digits.get(0..2)?)?,
            channel(digits.get(2..4)?)?,
            channel(digits.get(4..6)?)?,
        ]),
        _ => None,
    }
}

/// White or near-black text on `background`: the one with the higher WCAG contrast.
fn text_on(background: [u8; 3]) -> &'static str {
    const NEAR_BLACK: [u8; 3] = [0x11, 0x18, 0x27];
    let luminance = |rgb: [u8; 3]| {
        let linear = |c: u8| {
            let c = f64::from(c) / 255.0;
            if c <= 0.039_28 {
                c / 12.92
            } else {
                ((c + 0.055) / 1.055).powf(2.4)
            }
        };
        let [r, g, b] = rgb;
        0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b)
    };
    let contrast = |a: f64, b: f64| (a.max(b) + 0.05) / (a.min(b) + 0.05);
    let back = luminance(background);
    if contrast(back, 1.0) >= contrast(back, luminance(NEAR_BLACK)) {
        "#fff"
    } else {
        "#111827"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_accent_colour_gets_the_text_colour_that_reads_on_it() {
        assert_eq!(
            accent_theme("#0A7D3B", None).unwrap(),
            ":root { --accent: #0a7d3b; --accent-text: #fff; }\n"
        );
        assert_eq!(
            accent_theme("#2f5bd3", Some("#fc0")).unwrap(),
            ":root { --accent: #2f5bd3; --accent-text: #fff; }\n\
             @media (prefers-color-scheme: dark) { :root { --accent: #fc0; --accent-text: #111827; } }\n"
        );
        for bad in ["red", "#12345", "#ggg", "0a7d3b", "#0a7d3b; } body {"] {
            assert!(accent_theme(bad, None).is_err(), "{bad}");
        }
    }

    fn refusal(css: &str) -> String {
        match checked_css(css) {
            Err(InvalidSetting::Parameter(message)) => message,
            other => panic!("{css:?} was not refused: {other:?}"),
        }
    }

    #[test]
    fn the_customizable_classes_are_written_out_again() {
        let css = "/* ours */ .submitButton-customizable { background-color: #0a7d3b; color: rgb(255, 255, 255) }
                   .banner-customizable{padding:20px 0 !important;font-family:\"Inter\",sans-serif;}
                   .inputField-customizable:focus { border: 1px solid hsl(120 50% 40% / 0.5); }";
        assert_eq!(
            checked_css(css).expect("valid"),
            ".submitButton-customizable {\n  background-color: #0a7d3b;\n  color: rgb(255, 255, 255);\n}\n\
             .banner-customizable {\n  padding: 20px 0 !important;\n  font-family: \"Inter\",sans-serif;\n}\n\
             .inputField-customizable:focus {\n  border: 1px solid hsl(120 50% 40% / 0.5);\n}\n"
        );
        assert_eq!(checked_css("").expect("empty is valid"), "");
    }

    #[test]
    fn other_selectors_at_rules_and_loading_values_are_refused() {
        for (css, why) in [
            ("body { color: red }", "\"body\" is not one of"),
            (".label-customizable, a { color: red }", "is not one of"),
            (".label-customizable a { color: red }", "is not one of"),
            (
                "@import url(https://evil.example/x.css);",
                "@import is not allowed",
            ),
            (
                "@media print { .label-customizable { color: red } }",
                "@media",
            ),
            (
                ".logo-customizable { background-image: none }",
                "property background-image",
            ),
            (
                ".logo-customizable { color: url(https://evil.example/) }",
                "url() is not allowed",
            ),
            (
                ".logo-customizable { color: url(\"https://evil.example/\") }",
                "url() is not allowed",
            ),
            (
                ".logo-customizable { color: var(--x) }",
                "var() is not allowed",
            ),
            (
                ".logo-customizable { width: expression(alert(1)) }",
                "expression()",
            ),
            (".logo-customizable { color: red; } }", "without a block"),
            (".logo-customizable { color }", "no ':'"),
            (".logo-customizable { color: }", "has no value"),
            (".logo-customizable", "without a block"),
            (".logo-customizable { color: red ! }", "stray '!'"),
            (
                ".logo-customizable { color: <script> }",
                "is not allowed in the value",
            ),
        ] {
            let message = refusal(css);
            assert!(message.contains(why), "{css:?}: {message}");
        }
    }

    #[test]
    fn a_value_cannot_close_its_rule_or_smuggle_markup() {
        // A string is written out quoted and escaped: it cannot end the block.
        let written = checked_css(".legalText-customizable { font-family: \"a}</style><b>\" }")
            .expect("a string is a valid font name");
        assert_eq!(
            written,
            ".legalText-customizable {\n  font-family: \"a}</style><b>\";\n}\n"
        );
        let mut parser = Parser::new(&written);
        assert!(selector(&mut parser).is_ok());
    }

    #[test]
    fn a_logo_is_a_small_png_or_jpeg() {
        let png = b"\x89PNG\r\n\x1a\n rest".to_vec();
        assert_eq!(Logo::new(png).map(|logo| logo.kind), Ok(ImageKind::Png));
        let jpeg = vec![0xFF, 0xD8, 0xFF, 0xE0];
        assert_eq!(Logo::new(jpeg).map(|logo| logo.kind), Ok(ImageKind::Jpeg));
        assert!(Logo::new(b"<svg onload=alert(1)>".to_vec()).is_err());
        let mut big = b"\x89PNG\r\n\x1a\n".to_vec();
        big.resize(MAX_LOGO_BYTES + 1, 0);
        assert!(Logo::new(big).is_err());
    }

    #[test]
    fn a_client_without_its_own_customization_gets_the_pools_default() {
        let custom = |client_id: &str| UiCustomization {
            client_id: client_id.to_owned(),
            css: None,
            logo: None,
            version: 1,
            created_at: 0,
            updated_at: 0,
        };
        let branding = Branding::new(vec![custom(ALL_CLIENTS), custom("own")]);
        assert_eq!(
            branding.for_client("own").map(|c| c.client_id.as_str()),
            Some("own")
        );
        assert_eq!(
            branding.for_client("other").map(|c| c.client_id.as_str()),
            Some(ALL_CLIENTS)
        );
        assert!(
            Branding::new(vec![custom("own")])
                .for_client("other")
                .is_none()
        );
        assert!(branding.exactly("other").is_none());
    }
}
