//! Claim-matching expressions for federated client bindings (issue 21 §2: a `federated-jwt`
//! binding may carry one, checked on the verified token's claims). The syntax is Microsoft
//! Entra's "flexible federated identity credentials", so an expression written for Entra reads
//! the same here:
//!
//! ```text
//! claims['sub'] matches 'repo:acme/*:ref:refs/heads/main'
//!     and claims['job_workflow_ref'] eq 'acme/ci/.github/workflows/deploy.yml@refs/heads/main'
//! ```
//!
//! Grammar (keywords are case-insensitive, white space is free between tokens):
//!
//! ```text
//! expression := term ( 'and' term )*
//! term       := 'claims' '[' string ']' ( 'eq' | 'matches' ) string
//! string     := "'" ( any character but "'" | "''" )* "'"      ('' is one quote)
//! ```
//!
//! - `eq`: the claim equals the value exactly (case-sensitive).
//! - `matches`: a glob: `*` is any run of characters (none included), `?` exactly one
//!   character, everything else literal. Compiled to an anchored regular expression of the
//!   `regex` crate, so matching is linear in the claim's length whatever the pattern (no
//!   backtracking: `a*a*a*a*b` against a long run of `a` costs what any other pattern does).
//! - A claim must be a JSON string, or an array of strings of which one satisfies the term
//!   (as `aud` may be); a number, a boolean, an object or a missing claim never satisfies it.
//! - Every term must hold (`and` only: an `or` is written as two bindings).
//!
//! Invariant: [`parse`] either returns an expression or a [`ParseError`] with the character
//! position (1-based) and what was expected; [`ClaimsExpression::check`] either succeeds or
//! says which term failed and why. Neither panics on any input, and neither is given a secret:
//! the claims of an assertion are not secret once its signature has been checked.

use serde_json::{Map, Value};

/// Longest expression accepted, in bytes.
pub const MAX_EXPRESSION_LEN: usize = 2048;
/// Most terms in one expression.
pub const MAX_TERMS: usize = 16;
/// Longest claim name.
pub const MAX_CLAIM_NAME_LEN: usize = 128;

/// Why an expression does not parse: where (1-based character position) and what.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("at character {position}: {message}")]
pub struct ParseError {
    pub position: usize,
    pub message: String,
}

/// Why a token's claims do not satisfy an expression (the operator's reason).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Mismatch(pub String);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Eq,
    Matches,
}

#[derive(Debug, Clone)]
struct Term {
    claim: String,
    op: Op,
    value: String,
    /// For `matches`: the compiled glob.
    glob: Option<regex::Regex>,
}

/// A parsed expression, ready to check claims against.
#[derive(Debug, Clone)]
pub struct ClaimsExpression {
    terms: Vec<Term>,
}

struct Lexer<'a> {
    chars: Vec<(usize, char)>,
    at: usize,
    text: &'a str,
}

impl Lexer<'_> {
    fn position(&self) -> usize {
        self.at + 1
    }

    fn error<T>(&self, message: impl Into<String>) -> Result<T, ParseError> {
        Err(ParseError {
            position: self.position(),
            message: message.into(),
        })
    }

    fn skip_space(&mut self) {
        while self
            .chars
            .get(self.at)
            .is_some_and(|(_, c)| c.is_whitespace())
        {
            self.at += 1;
        }
    }

    fn done(&mut self) -> bool {
        self.skip_space();
        self.at >= self.chars.len()
    }

    /// A keyword (ASCII letters), case-insensitive.
    fn keyword(&mut self, word: &str) -> bool {
        self.skip_space();
        let end = self.at + word.len();
        if end > self.chars.len() {
            return false;
        }
        let found: String = self.chars[self.at..end].iter().map(|(_, c)| *c).collect();
        let boundary = self
            .chars
            .get(end)
            .is_none_or(|(_, c)| !c.is_ascii_alphanumeric() && *c != '_');
        if found.eq_ignore_ascii_case(word) && boundary {
            self.at = end;
            true
        } else {
            false
        }
    }

    fn expect_keyword(&mut self, word: &str, what: &str) -> Result<(), ParseError> {
        if self.keyword(word) {
            Ok(())
        } else {
            let found = self.found();
            self.error(format!("expected {what}, found {found}"))
        }
    }

    fn symbol(&mut self, c: char) -> Result<(), ParseError> {
        self.skip_space();
        if self.chars.get(self.at).is_some_and(|(_, x)| *x == c) {
            self.at += 1;
            Ok(())
        } else {
            let found = self.found();
            self.error(format!("expected '{c}', found {found}"))
        }
    }

    /// What stands at the current position, for error messages.
    fn found(&self) -> String {
        match self.chars.get(self.at) {
            None => "the end of the expression".into(),
            Some((i, _)) => {
                let rest: String = self.text[*i..].chars().take(12).collect();
                format!("{rest:?}")
            }
        }
    }

    /// A single-quoted string, `''` standing for one quote.
    fn string(&mut self) -> Result<String, ParseError> {
        self.skip_space();
        if self.chars.get(self.at).is_none_or(|(_, c)| *c != '\'') {
            let found = self.found();
            return self.error(format!("expected a quoted string ('…'), found {found}"));
        }
        let start = self.at;
        self.at += 1;
        let mut out = String::new();
        loop {
            match self.chars.get(self.at) {
                None => {
                    self.at = start;
                    return self.error("this string is not closed (a ' is missing)");
                }
                Some((_, '\'')) => {
                    if self.chars.get(self.at + 1).is_some_and(|(_, c)| *c == '\'') {
                        out.push('\'');
                        self.at += 2;
                    } else {
                        self.at += 1;
                        return Ok(out);
                    }
                }
                Some((_, c)) if c.is_control() => {
                    return self.error("a string holds a control character");
                }
                Some((_, c)) => {
                    out.push(*c);
                    self.at += 1;
                }
            }
        }
    }
}

/// `*` → `.*`, `?` → `.`, everything else literal; anchored at both ends.
fn compile_glob(glob: &str) -> Result<regex::Regex, String> {
    let mut re = String::with_capacity(glob.len() * 2 + 8);
    re.push_str("^(?s:");
    for c in glob.chars() {
        match c {
            '*' => re.push_str(".*"),
            '?' => re.push('.'),
            c => re.push_str(&regex::escape(c.encode_utf8(&mut [0u8; 4]))),
        }
    }
    re.push_str(")$");
    regex::RegexBuilder::new(&re)
        .size_limit(1 << 20)
        .build()
        .map_err(|e| e.to_string())
}

/// Parses an expression; the error names the position and what was expected.
pub fn parse(text: &str) -> Result<ClaimsExpression, ParseError> {
    if text.len() > MAX_EXPRESSION_LEN {
        return Err(ParseError {
            position: 1,
            message: format!("the expression is longer than {MAX_EXPRESSION_LEN} bytes"),
        });
    }
    let mut lx = Lexer {
        chars: text.char_indices().collect(),
        at: 0,
        text,
    };
    if lx.done() {
        return lx.error("the expression is empty; write e.g. claims['sub'] eq 'value'");
    }
    let mut terms = Vec::new();
    loop {
        if terms.len() == MAX_TERMS {
            return lx.error(format!("more than {MAX_TERMS} terms"));
        }
        lx.expect_keyword("claims", "claims['name']")?;
        lx.symbol('[')?;
        let name_at = lx.position();
        let claim = lx.string()?;
        if claim.is_empty() || claim.len() > MAX_CLAIM_NAME_LEN {
            return Err(ParseError {
                position: name_at,
                message: format!("a claim name has 1 to {MAX_CLAIM_NAME_LEN} characters"),
            });
        }
        lx.symbol(']')?;
        let op = if lx.keyword("eq") {
            Op::Eq
        } else if lx.keyword("matches") {
            Op::Matches
        } else {
            let found = lx.found();
            return lx.error(format!("expected eq or matches, found {found}"));
        };
        let value_at = lx.position();
        let value = lx.string()?;
        let glob = match op {
            Op::Eq => None,
            Op::Matches => Some(compile_glob(&value).map_err(|e| ParseError {
                position: value_at,
                message: format!("the pattern cannot be used: {e}"),
            })?),
        };
        terms.push(Term {
            claim,
            op,
            value,
            glob,
        });
        if lx.done() {
            return Ok(ClaimsExpression { terms });
        }
        lx.expect_keyword("and", "and (or the end of the expression)")?;
    }
}

/// Quotes a value the way the expression language writes it.
fn quoted(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

impl Term {
    fn holds_for(&self, value: &str) -> bool {
        match (&self.op, &self.glob) {
            (Op::Eq, _) => value == self.value,
            (Op::Matches, Some(re)) => re.is_match(value),
            (Op::Matches, None) => false,
        }
    }

    fn shown(&self) -> String {
        let op = match self.op {
            Op::Eq => "eq",
            Op::Matches => "matches",
        };
        format!(
            "claims[{}] {op} {}",
            quoted(&self.claim),
            quoted(&self.value)
        )
    }
}

impl ClaimsExpression {
    /// Checks the claims (a JWT's payload object): every term must hold. The error names the
    /// first term that does not, and the claim's value as it was (cut at 100 characters).
    pub fn check(&self, claims: &Map<String, Value>) -> Result<(), Mismatch> {
        for term in &self.terms {
            let value = claims.get(&term.claim);
            let holds = match value {
                Some(Value::String(s)) => term.holds_for(s),
                Some(Value::Array(items)) => items
                    .iter()
                    .any(|v| v.as_str().is_some_and(|s| term.holds_for(s))),
                _ => false,
            };
            if !holds {
                let had = match value {
                    None => "absent".to_string(),
                    Some(v) => {
                        let text = v.to_string();
                        let cut: String = text.chars().take(100).collect();
                        if cut.len() < text.len() {
                            format!("{cut}…")
                        } else {
                            cut
                        }
                    }
                };
                return Err(Mismatch(format!(
                    "{} does not hold: the claim is {had}",
                    term.shown()
                )));
            }
        }
        Ok(())
    }

    /// The expression written back in its normal form (keywords lower-case, single spaces).
    pub fn normalized(&self) -> String {
        self.terms
            .iter()
            .map(Term::shown)
            .collect::<Vec<_>>()
            .join(" and ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn claims(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn entra_examples_match_as_documented() {
        let e = parse(
            "claims['sub'] matches 'repo:acme/*:ref:refs/heads/main' and \
             claims['job_workflow_ref'] eq 'acme/ci/.github/workflows/deploy.yml@refs/heads/main'",
        )
        .unwrap();
        let good = claims(json!({
            "sub": "repo:acme/billing:ref:refs/heads/main",
            "job_workflow_ref": "acme/ci/.github/workflows/deploy.yml@refs/heads/main",
        }));
        assert!(e.check(&good).is_ok());
        let mut branch = good.clone();
        branch.insert("sub".into(), json!("repo:acme/billing:ref:refs/heads/dev"));
        let why = e.check(&branch).unwrap_err().0;
        assert!(
            why.starts_with(
                "claims['sub'] matches 'repo:acme/*:ref:refs/heads/main' does not hold"
            ),
            "{why}"
        );
        assert!(why.contains("refs/heads/dev"), "{why}");
        let mut missing = good.clone();
        missing.remove("job_workflow_ref");
        assert!(e
            .check(&missing)
            .unwrap_err()
            .0
            .ends_with("the claim is absent"));
        // Another organisation whose name starts the same does not match: `*` stops at nothing,
        // but the literal parts around it must all be there.
        let mut other = good;
        other.insert("sub".into(), json!("repo:acme-evil/x:ref:refs/heads/main"));
        assert!(e.check(&other).is_err());
    }

    #[test]
    fn globs_are_anchored_and_literal_elsewhere() {
        let e = parse("claims['sub'] matches 'system:serviceaccount:prod:*'").unwrap();
        assert!(e
            .check(&claims(json!({"sub": "system:serviceaccount:prod:api"})))
            .is_ok());
        assert!(e
            .check(&claims(json!({"sub": "system:serviceaccount:prod:"})))
            .is_ok());
        assert!(e
            .check(&claims(json!({"sub": "x-system:serviceaccount:prod:api"})))
            .is_err());
        // Regular-expression characters are literal.
        let dots = parse("claims['sub'] matches 'a.b?c(d)+'").unwrap();
        assert!(dots.check(&claims(json!({"sub": "a.bXc(d)+"}))).is_ok());
        assert!(dots.check(&claims(json!({"sub": "aXbXc(d)+"}))).is_err());
        assert!(
            dots.check(&claims(json!({"sub": "a.bc(d)+"}))).is_err(),
            "? is exactly one"
        );
        // `*` spans lines and any character.
        let any = parse("claims['x'] matches '*'").unwrap();
        assert!(any.check(&claims(json!({"x": "a\nb"}))).is_ok());
        assert!(any.check(&claims(json!({"x": ""}))).is_ok());
    }

    #[test]
    fn claim_types() {
        let e = parse("claims['aud'] eq 'https://kw.example/realms/demo'").unwrap();
        assert!(e
            .check(&claims(
                json!({"aud": ["x", "https://kw.example/realms/demo"]})
            ))
            .is_ok());
        assert!(e.check(&claims(json!({"aud": ["x", "y"]}))).is_err());
        let n = parse("claims['n'] eq '1'").unwrap();
        assert!(
            n.check(&claims(json!({"n": 1}))).is_err(),
            "a number is not a string"
        );
        assert!(n.check(&claims(json!({"n": true}))).is_err());
        assert!(n.check(&claims(json!({"n": {"a": "1"}}))).is_err());
        let eq = parse("claims['sub'] eq 'Repo'").unwrap();
        assert!(
            eq.check(&claims(json!({"sub": "repo"}))).is_err(),
            "eq is case-sensitive"
        );
    }

    #[test]
    fn syntax_details() {
        // Keywords in any case, free spacing, '' is a quote.
        let e = parse("  CLAIMS [ 'sub' ]   EQ   'o''brien'  AND claims['x']matches'*'  ").unwrap();
        assert!(e
            .check(&claims(json!({"sub": "o'brien", "x": "y"})))
            .is_ok());
        assert_eq!(
            e.normalized(),
            "claims['sub'] eq 'o''brien' and claims['x'] matches '*'"
        );
        assert_eq!(parse(&e.normalized()).unwrap().normalized(), e.normalized());
    }

    #[test]
    fn errors_name_the_position_and_what_was_expected() {
        for (text, position, says) in [
            ("", 1, "empty"),
            ("   ", 4, "empty"),
            ("claim['sub'] eq 'x'", 1, "expected claims['name']"),
            ("claims('sub') eq 'x'", 7, "expected '['"),
            ("claims[sub] eq 'x'", 8, "expected a quoted string"),
            ("claims['sub' eq 'x'", 14, "expected ']'"),
            ("claims['sub'] == 'x'", 15, "expected eq or matches"),
            ("claims['sub'] equals 'x'", 15, "expected eq or matches"),
            ("claims['sub'] eq x", 18, "expected a quoted string"),
            ("claims['sub'] eq 'x", 18, "not closed"),
            (
                "claims['sub'] eq 'x' or claims['a'] eq 'b'",
                22,
                "expected and",
            ),
            ("claims['sub'] eq 'x' and", 25, "expected claims['name']"),
            ("claims[''] eq 'x'", 8, "1 to 128"),
            ("claims['sub'] eq 'a\u{1}b'", 20, "control character"),
        ] {
            let e = parse(text).unwrap_err();
            assert_eq!(e.position, position, "{text:?}: {e}");
            assert!(e.message.contains(says), "{text:?}: {e}");
            assert!(e
                .to_string()
                .starts_with(&format!("at character {position}: ")));
        }
        let long = format!("claims['sub'] eq '{}'", "a".repeat(MAX_EXPRESSION_LEN));
        assert!(parse(&long).unwrap_err().message.contains("longer than"));
        let many = vec!["claims['a'] eq 'b'"; MAX_TERMS + 1].join(" and ");
        assert!(parse(&many)
            .unwrap_err()
            .message
            .contains("more than 16 terms"));
        // Non-ASCII text: positions count characters, not bytes.
        let e = parse("claims['ü'] eq 'é' ünd").unwrap_err();
        assert_eq!(e.position, 20, "{e}");
    }

    #[test]
    fn matching_stays_linear_on_hostile_patterns() {
        let pattern = format!("claims['sub'] matches '{}b'", "a*".repeat(200));
        let e = parse(&pattern).unwrap();
        let hostile = claims(json!({ "sub": "a".repeat(100_000) }));
        // A backtracking matcher would not finish this in the lifetime of the test run; the
        // regex crate's automaton answers in one pass.
        assert!(e.check(&hostile).is_err());
        let fits = claims(json!({ "sub": format!("{}b", "a".repeat(100_000)) }));
        assert!(e.check(&fits).is_ok());
    }
}
