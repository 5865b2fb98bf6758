//! The outputs of a typed component, declared on its impl block:
//!
//! ```text
//! #[component(outputs {
//!     sessions: Session { punctuates: [user] },
//!     alerts: Alert,
//! })]
//! impl Sessionize { .. }
//! ```
//! Each output names its record type; `punctuates: [k, ..]` declares that
//! the component's handlers seal partitions of that output on key `k`
//! (through the generated `punctuate_<output>` method), which is what lets a
//! dataflow declare the stream leaving it sealed (issue 11).

use proc_macro2::{Delimiter, Spacing, TokenStream, TokenTree};
use syn::ext::IdentExt;
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::{Ident, Token, braced, bracketed};

use crate::attrs::{name_of, plain_ident};

/// One declared output.
#[derive(Debug, Clone)]
pub struct OutputDecl {
    /// The output interface.
    pub name: Ident,
    /// Its record type, as written (in the component's module).
    pub record: syn::Type,
    /// The key its handlers punctuate it on, as written.
    pub punctuates: Option<Vec<Ident>>,
}

impl OutputDecl {
    /// The punctuation key's names.
    pub fn punctuation_key(&self) -> Option<Vec<String>> {
        self.punctuates
            .as_ref()
            .map(|k| k.iter().map(name_of).collect())
    }
}

impl Parse for OutputDecl {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let name = Ident::parse_any(input)?;
        input.parse::<Token![:]>()?;
        let record: syn::Type = input.parse()?;
        if input.peek(Ident::peek_any) {
            let word = Ident::parse_any(&input.fork())?;
            let how = if word == "punctuates" {
                format!(
                    "an output's punctuation goes in braces after its record type: \
                     `{name}: {} {{ punctuates: [..] }}`",
                    quote::ToTokens::to_token_stream(&record)
                        .to_string()
                        .replace(' ', "")
                )
            } else {
                format!(
                    "after the record type of output `{name}`, expected `,` or \
                     `{{ punctuates: [..] }}`"
                )
            };
            return Err(syn::Error::new(word.span(), how));
        }
        let mut punctuates = None;
        if input.peek(syn::token::Brace) {
            let content;
            braced!(content in input);
            let key = Ident::parse_any(&content)?;
            if key != "punctuates" {
                return Err(syn::Error::new(
                    key.span(),
                    format!("unknown output option `{key}`: expected `punctuates: [key, ..]`"),
                ));
            }
            content.parse::<Token![:]>()?;
            let names;
            bracketed!(names in content);
            let names =
                Punctuated::<Ident, Token![,]>::parse_terminated_with(&names, Ident::parse_any)?;
            if names.is_empty() {
                return Err(syn::Error::new(
                    key.span(),
                    "`punctuates: [..]` names the key fields of the partitions it seals",
                ));
            }
            punctuates = Some(names.into_iter().collect());
            if !content.is_empty() {
                content.parse::<Token![,]>()?;
            }
            if !content.is_empty() {
                return Err(content.error("an output has one option, `punctuates: [..]`"));
            }
        }
        Ok(OutputDecl {
            name,
            record,
            punctuates,
        })
    }
}

/// The arguments of `#[component(outputs { .. })]` on an impl block.
#[derive(Debug, Clone)]
pub struct ImplArgs {
    /// The declared outputs.
    pub outputs: Vec<OutputDecl>,
    /// The `outputs { .. }` tokens as written, for the dataflow's macro.
    pub tokens: TokenStream,
}

const SHAPE: &str = "expected `#[component(outputs { name: Record, name: Record { punctuates: \
                     [key] }, .. })]` on the impl block of a typed component (or no arguments)";

/// The error for `#[component(rep)]` on an impl block.
pub const REP_ON_STRUCT: &str = "`rep` goes on the struct (`#[component(rep)]`); on an impl \
                                 block `#[component]` takes no arguments, or `outputs { .. }`";

impl Parse for ImplArgs {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let tokens: TokenStream = input.fork().parse()?;
        let key: Ident = input
            .parse()
            .map_err(|e| syn::Error::new(e.span(), SHAPE))?;
        if key == "rep" {
            return Err(syn::Error::new(key.span(), REP_ON_STRUCT));
        }
        if key != "outputs" {
            return Err(syn::Error::new(key.span(), SHAPE));
        }
        let content;
        braced!(content in input);
        let outputs = Punctuated::<OutputDecl, Token![,]>::parse_terminated(&content)?;
        if !input.is_empty() {
            return Err(input.error(SHAPE));
        }
        let outputs: Vec<OutputDecl> = outputs.into_iter().collect();
        refuse_repeated(&outputs)?;
        Ok(ImplArgs { outputs, tokens })
    }
}

fn refuse_repeated(outputs: &[OutputDecl]) -> syn::Result<()> {
    for (i, output) in outputs.iter().enumerate() {
        if outputs[..i].iter().any(|o| o.name == output.name) {
            return Err(syn::Error::new(
                output.name.span(),
                format!("output `{}` is declared twice", output.name),
            ));
        }
    }
    Ok(())
}

impl ImplArgs {
    /// Reads `tokens`: tree by tree when each output's record type is one
    /// identifier (`name: Record` or `name: Record { punctuates: [k, ..] }`,
    /// the common case), else with syn ([`Parse`]), which also reports
    /// every malformed form. (syn would first build a token buffer of the
    /// arguments, each token fetched from the compiler.)
    ///
    /// # Errors
    /// When the arguments are not `outputs { .. }` as [`Parse`] reads it.
    pub fn read(tokens: TokenStream) -> syn::Result<ImplArgs> {
        match ImplArgs::read_plain(&tokens) {
            Some(outputs) => {
                refuse_repeated(&outputs)?;
                Ok(ImplArgs { outputs, tokens })
            }
            None => syn::parse2(tokens),
        }
    }

    /// After [`ImplArgs::read`] refused `tokens`: what they most likely
    /// declare, so the component still expands as the typed one it is meant
    /// to be and the refusal is the only error (no cascade from handlers
    /// whose typed signatures an untyped expansion would not fit). Each
    /// output is `name: Type` followed by anything: a punctuation key
    /// written outside braces (`punctuates [k]` or `punctuates: [k]`) is
    /// kept, the rest ignored. `None` when even that shape is not there.
    pub fn recover(tokens: TokenStream) -> Option<ImplArgs> {
        let mut trees = tokens.clone().into_iter();
        let (Some(TokenTree::Ident(key)), Some(TokenTree::Group(body))) =
            (trees.next(), trees.next())
        else {
            return None;
        };
        if key != "outputs" || body.delimiter() != Delimiter::Brace {
            return None;
        }
        let mut outputs = Vec::new();
        let mut entry: Vec<TokenTree> = Vec::new();
        let mut entries = Vec::new();
        for tree in body.stream() {
            match &tree {
                TokenTree::Punct(p) if p.as_char() == ',' => {
                    entries.push(std::mem::take(&mut entry))
                }
                _ => entry.push(tree),
            }
        }
        entries.push(entry);
        for entry in entries.into_iter().filter(|e| !e.is_empty()) {
            outputs.push(recover_output(entry)?);
        }
        let mut seen = Vec::new();
        outputs.retain(|o: &OutputDecl| {
            let new = !seen.contains(&o.name);
            seen.push(o.name.clone());
            new
        });
        Some(ImplArgs { outputs, tokens })
    }

    fn read_plain(tokens: &TokenStream) -> Option<Vec<OutputDecl>> {
        let mut trees = tokens.clone().into_iter();
        match (trees.next(), trees.next(), trees.next()) {
            (Some(TokenTree::Ident(key)), Some(TokenTree::Group(body)), None)
                if key == "outputs" && body.delimiter() == Delimiter::Brace =>
            {
                read_outputs(body.stream())
            }
            _ => None,
        }
    }
}

/// `name: Record [{ punctuates: [k, ..] }], ..` with one-identifier record
/// types (`None` for anything else).
fn read_outputs(body: TokenStream) -> Option<Vec<OutputDecl>> {
    let mut outputs = Vec::new();
    let mut trees = body.into_iter().peekable();
    while let Some(first) = trees.next() {
        let (TokenTree::Ident(name), Some(TokenTree::Punct(colon)), Some(TokenTree::Ident(record))) =
            (first, trees.next(), trees.next())
        else {
            return None;
        };
        if colon.as_char() != ':' || colon.spacing() != Spacing::Alone || !plain_ident(&record) {
            return None;
        }
        let mut punctuates = None;
        if let Some(TokenTree::Group(options)) = trees.peek() {
            if options.delimiter() != Delimiter::Brace {
                return None;
            }
            punctuates = Some(read_punctuates(options.stream())?);
            trees.next();
        }
        outputs.push(OutputDecl {
            name,
            record: syn::Type::Path(syn::TypePath {
                attrs: Vec::new(),
                qself: None,
                path: syn::Path::from(record),
            }),
            punctuates,
        });
        match trees.next() {
            None => break,
            Some(TokenTree::Punct(comma)) if comma.as_char() == ',' => {}
            Some(_) => return None,
        }
    }
    Some(outputs)
}

/// One output of [`ImplArgs::recover`]: `name: Type ..`, the type running up
/// to the first group or word after it that cannot continue a path.
fn recover_output(entry: Vec<TokenTree>) -> Option<OutputDecl> {
    let mut trees = entry.into_iter().peekable();
    let (Some(TokenTree::Ident(name)), Some(TokenTree::Punct(colon))) =
        (trees.next(), trees.next())
    else {
        return None;
    };
    if colon.as_char() != ':' {
        return None;
    }
    // The type: a path of identifiers joined by `::`, with generic
    // arguments in `<..>` kept whole.
    let mut record = TokenStream::new();
    let mut depth = 0usize;
    let mut expect_ident = true;
    while let Some(tree) = trees.peek() {
        match tree {
            TokenTree::Ident(_) if expect_ident || depth > 0 => expect_ident = false,
            TokenTree::Punct(p) if p.as_char() == ':' => expect_ident = true,
            TokenTree::Punct(p) if p.as_char() == '<' => depth += 1,
            TokenTree::Punct(p) if p.as_char() == '>' && depth > 0 => depth -= 1,
            _ if depth > 0 => {}
            _ => break,
        }
        record.extend(trees.next());
    }
    let record: syn::Type = syn::parse2(record).ok()?;
    // What follows: `{ punctuates: [..] }` read as usual, or the key
    // written without braces.
    let rest: Vec<TokenTree> = trees.collect();
    let punctuates = match rest.as_slice() {
        [TokenTree::Group(options), ..] if options.delimiter() == Delimiter::Brace => {
            read_punctuates(options.stream())
        }
        [TokenTree::Ident(word), tail @ ..] if word == "punctuates" => {
            tail.iter().find_map(|t| match t {
                TokenTree::Group(list) if list.delimiter() == Delimiter::Bracket => {
                    let names: Vec<Ident> = list
                        .stream()
                        .into_iter()
                        .filter_map(|t| match t {
                            TokenTree::Ident(i) => Some(i),
                            _ => None,
                        })
                        .collect();
                    (!names.is_empty()).then_some(names)
                }
                _ => None,
            })
        }
        _ => None,
    };
    Some(OutputDecl {
        name,
        record,
        punctuates,
    })
}

/// `punctuates: [k, ..]` (`None` for anything else, an empty key included).
fn read_punctuates(options: TokenStream) -> Option<Vec<Ident>> {
    let mut trees = options.into_iter();
    let (Some(TokenTree::Ident(word)), Some(TokenTree::Punct(colon)), Some(TokenTree::Group(list))) =
        (trees.next(), trees.next(), trees.next())
    else {
        return None;
    };
    if word != "punctuates"
        || colon.as_char() != ':'
        || list.delimiter() != Delimiter::Bracket
        || trees.next().is_some()
    {
        return None;
    }
    let names = crate::attrs::ident_list(list.stream())?;
    (!names.is_empty()).then_some(names)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_outputs_with_and_without_punctuations() {
        let args: ImplArgs = syn::parse_quote! {
            outputs { sessions: Session { punctuates: [user] }, alerts: crate::Alert }
        };
        assert_eq!(args.outputs.len(), 2);
        assert_eq!(
            args.outputs[0].punctuation_key(),
            Some(vec!["user".to_string()])
        );
        assert_eq!(args.outputs[1].punctuation_key(), None);
    }

    /// The outputs as text: name, record type and key.
    fn summary(args: &ImplArgs) -> Vec<String> {
        args.outputs
            .iter()
            .map(|o| {
                let record = quote::ToTokens::to_token_stream(&o.record).to_string();
                format!("{} {record} {:?}", o.name, o.punctuation_key())
            })
            .collect()
    }

    #[test]
    fn plain_outputs_are_read_tree_by_tree_as_syn_reads_them() {
        for text in [
            "outputs { sessions: Session { punctuates: [user, day,] }, alerts: Alert, }",
            "outputs { r#type: Session }",
            "outputs {}",
        ] {
            let tokens: TokenStream = text.parse().expect("tokens");
            let by_syn: ImplArgs = syn::parse2(tokens.clone()).expect("syn reads it");
            let plain = ImplArgs::read_plain(&tokens).expect("read tree by tree");
            let by_trees = ImplArgs {
                outputs: plain,
                tokens,
            };
            assert_eq!(summary(&by_trees), summary(&by_syn), "{text}");
        }
        // Paths, generic record types and keywords are left to syn.
        for text in [
            "outputs { a: crate::A }",
            "outputs { a: Option<A> }",
            "outputs { a: Self }",
        ] {
            let tokens: TokenStream = text.parse().expect("tokens");
            assert!(ImplArgs::read_plain(&tokens).is_none(), "{text}");
            assert!(ImplArgs::read(tokens).is_ok(), "{text}");
        }
    }

    #[test]
    fn refuses_other_shapes_and_repeated_outputs() {
        for text in [
            "inputs { a: A }",
            "outputs { a: A { seal: [k] } }",
            "outputs { a: A, a: B }",
            "outputs { a: A { punctuates: [] } }",
        ] {
            assert!(syn::parse_str::<ImplArgs>(text).is_err(), "{text}");
            let tokens: TokenStream = text.parse().expect("tokens");
            assert!(ImplArgs::read(tokens).is_err(), "{text}");
        }
        let rep = syn::parse_str::<ImplArgs>("rep").expect_err("rep");
        assert_eq!(rep.to_string(), REP_ON_STRUCT);
    }

    #[test]
    fn a_refused_declaration_is_recovered_as_what_it_most_likely_declares() {
        let recovered = |text: &str| {
            let tokens: TokenStream = text.parse().expect("tokens");
            assert!(ImplArgs::read(tokens.clone()).is_err(), "{text} is refused");
            ImplArgs::recover(tokens).map(|args| summary(&args))
        };
        assert_eq!(
            recovered("outputs { stats: Reading punctuates [sensor] }"),
            Some(vec![r#"stats Reading Some(["sensor"])"#.to_string()])
        );
        assert_eq!(
            recovered("outputs { a: crate::A<i64> then, b: B { punctuates: [k, j] }, }"),
            Some(vec![
                "a crate :: A < i64 > None".to_string(),
                r#"b B Some(["k", "j"])"#.to_string()
            ])
        );
        assert_eq!(recovered("outputs { 3 }"), None);
        assert_eq!(recovered("inputs { a: A }"), None);
    }
}
