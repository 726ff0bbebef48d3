/*
 * The kaplac grammar (docs/language.md is its reference).
 *
 * A pure, location-tracking LALR(1) parser with LAC, so that the expected
 * tokens of a syntax error are exact.  Locations are byte spans of the
 * source (struct kpl_span).  Every semantic value is an arena pointer (or a
 * pair of them: the head and tail of a list under construction), so error
 * recovery discards values without freeing anything.
 *
 * Recovery: inside every block a bad statement is skipped up to its ';',
 * or up to the '}' that closes the block; at the top level up to the next
 * ';' or '}'.  Errors are reported by yyreport_syntax_error as
 * "expected X, saw Y"; the driver stops after KPL_PARSE_MAX_ERRORS.
 */
%require "3.8"
%define api.pure full
%define api.prefix {kpl_yy}
%define api.token.prefix {TOK_}
%define api.location.type {struct kpl_span}
%define parse.error custom
%define parse.lac full
%locations
%header
%expect 0

%param {yyscan_t scanner}
%parse-param {struct kpl_parser *p}

%code requires {
#include "base/diag.h"
#include "parser/ast.h"
#include "parser/lex_state.h"

typedef void *yyscan_t;
}

%code provides {
/* Flex's bison bridge knows the unprefixed names. */
#define YYSTYPE KPL_YYSTYPE
#define YYLTYPE KPL_YYLTYPE

int kpl_yylex(KPL_YYSTYPE *lval, KPL_YYLTYPE *lloc, yyscan_t scanner);
}

%code {
/* A node's span runs from its first to its last symbol. */
#define YYLLOC_DEFAULT(Cur, Rhs, N)                                       \
    do {                                                                  \
        if ((N) > 0) {                                                    \
            (Cur).src = YYRHSLOC(Rhs, 1).src;                             \
            (Cur).start = YYRHSLOC(Rhs, 1).start;                         \
            (Cur).end = YYRHSLOC(Rhs, N).end;                             \
        } else {                                                          \
            (Cur).src = YYRHSLOC(Rhs, 0).src;                             \
            (Cur).start = YYRHSLOC(Rhs, 0).end;                           \
            (Cur).end = YYRHSLOC(Rhs, 0).end;                             \
        }                                                                 \
    } while (0)

/* Allocates a zeroed node from the arena, or fails the parse. */
#define NEW(var)                                                          \
    do {                                                                  \
        (var) = kpl_parse_node(p, sizeof *(var));                         \
        if ((var) == NULL) {                                              \
            YYNOMEM;                                                      \
        }                                                                 \
    } while (0)

/* Lists under construction are {head, tail} pairs; NULL items skipped. */
#define LIST_EMPTY(list) ((list).head = NULL, (list).tail = NULL)
#define LIST_APPEND(list, item)                                           \
    do {                                                                  \
        if ((item) != NULL) {                                             \
            if ((list).tail != NULL) {                                    \
                (list).tail->next = (item);                               \
            } else {                                                      \
                (list).head = (item);                                     \
            }                                                             \
            (list).tail = (item);                                         \
        }                                                                 \
    } while (0)

/* An expression helper returned NULL (no memory) or gave up (too deep). */
#define CHECK_EXPR(e)                                                     \
    do {                                                                  \
        if ((e) == NULL) {                                                \
            YYNOMEM;                                                      \
        }                                                                 \
        if (p->stop) {                                                    \
            YYABORT;                                                      \
        }                                                                 \
    } while (0)

static struct kpl_span span_of(struct kpl_span first, struct kpl_span last)
{
    return kpl_span_join(first, last);
}

static void kpl_yyerror(const KPL_YYLTYPE *loc, yyscan_t scanner,
                        struct kpl_parser *p, const char *message);
}

%union {
    const char *text;
    struct kpl_lex_number *number;
    struct kpl_expr *expr;
    struct kpl_word *word;
    struct { struct kpl_word *head, *tail; } words;
    struct kpl_clause *clause;
    struct { struct kpl_clause *head, *tail; } clauses;
    struct kpl_prop *prop;
    struct { struct kpl_prop *head, *tail; } props;
    struct kpl_name *name;
    struct { struct kpl_name *head, *tail; } names;
    struct kpl_dimval *dimval;
    struct { struct kpl_dimval *head, *tail; } dimvals;
    struct kpl_option *option;
    struct { struct kpl_option *head, *tail; } options;
    struct kpl_ast_layer *layer;
    struct { struct kpl_ast_layer *head, *tail; } layers;
    struct kpl_ast_region *region;
    struct kpl_seg_item *seg_item;
    struct { struct kpl_seg_item *head, *tail; } seg_items;
    struct kpl_ast_segment *segment;
    struct kpl_ast_shift *shift;
    struct { struct kpl_ast_shift *head, *tail; } shifts;
    struct kpl_directive *directive;
    struct { struct kpl_directive *head, *tail; } directives;
    struct kpl_ast_level *level;
    struct { struct kpl_ast_level *head, *tail; } levels;
    struct kpl_ast_layermap *layermap;
    struct kpl_ast_param *param;
    struct kpl_ast_scheme *scheme;
    struct {
        struct { struct kpl_ast_param *head, *tail; } params;
        struct { struct kpl_ast_segment *head, *tail; } segments;
        struct { struct kpl_ast_layermap *head, *tail; } layers;
    } body;
    struct kpl_ast_network *network;
    struct kpl_ast_arch *arch;
    struct kpl_item *item;
}

/* Aliases are what syntax errors print: quoted like character tokens. */
%token <text> IDENT "a name"
%token <number> INT "an integer"
%token <number> DECIMAL "a decimal number"
%token <text> STRING "a string"
%token IMPORT "'import'" ARCH "'arch'" NETWORK "'network'"
%token SCHEME "'scheme'" FOR "'for'" ON "'on'" BATCH "'batch'"
%token PARAM "'param'" IN "'in'" SEGMENT "'segment'" NODES "'nodes'"
%token LAYER "'layer'" TENSOR "'tensor'" SHARED "'shared'"
%token STACK "'stack'" UPDATE "'update'" X "'x'"
%token ARROW "'<-'" PLUS_ASSIGN "'+='"

%left '+' '-'
%left '*' '/'
%precedence NEG

%type <expr> expr
%type <text> name keyword prop_key unit_part
%type <word> word
%type <words> words
%type <clause> clause
%type <clauses> clauses
%type <prop> prop
%type <props> props
%type <name> prev
%type <names> prevs prev_list
%type <dimval> dimval
%type <dimvals> dimvals dimvals_opt shape
%type <option> option
%type <options> options
%type <layer> stmt
%type <layers> stmts
%type <region> region
%type <seg_item> seg_item
%type <seg_items> seg_items
%type <segment> segment
%type <shift> shift
%type <shifts> shifts
%type <directive> directive
%type <directives> directives
%type <level> level
%type <levels> levels
%type <layermap> layermap
%type <param> param
%type <scheme> scheme scheme_head
%type <body> scheme_body
%type <network> network
%type <arch> arch
%type <item> item
%type <expr> shared_opt

%%

file:
    %empty
  | file item                   { kpl_parse_add_item(p, $2); }
  ;

item:
    IMPORT STRING ';'
        {
            NEW($$);
            $$->kind = KPL_ITEM_IMPORT;
            $$->span = span_of(@1, @2);
            $$->import_path = $2;
        }
  | IMPORT name ';'
        {
            NEW($$);
            $$->kind = KPL_ITEM_IMPORT;
            $$->span = span_of(@1, @2);
            $$->import_path = $2;
            $$->import_bundled = true;
        }
  | arch
        {
            NEW($$);
            $$->kind = KPL_ITEM_ARCH;
            $$->span = @1;
            $$->arch = $1;
        }
  | network
        {
            NEW($$);
            $$->kind = KPL_ITEM_NETWORK;
            $$->span = @1;
            $$->network = $1;
        }
  | scheme
        {
            NEW($$);
            $$->kind = KPL_ITEM_SCHEME;
            $$->span = @1;
            $$->scheme = $1;
        }
  | error ';'                   { $$ = NULL; }
  | error '}'                   { $$ = NULL; }
  ;

/* A name of a layer, network, arch or scheme: `x` is one too. */
name:
    IDENT
  | X                         { $$ = "x"; }
  ;

keyword:
    IMPORT                    { $$ = "import"; }
  | ARCH                      { $$ = "arch"; }
  | NETWORK                   { $$ = "network"; }
  | SCHEME                    { $$ = "scheme"; }
  | FOR                       { $$ = "for"; }
  | ON                        { $$ = "on"; }
  | BATCH                     { $$ = "batch"; }
  | PARAM                     { $$ = "param"; }
  | IN                        { $$ = "in"; }
  | SEGMENT                   { $$ = "segment"; }
  | NODES                     { $$ = "nodes"; }
  | LAYER                     { $$ = "layer"; }
  | TENSOR                    { $$ = "tensor"; }
  | SHARED                    { $$ = "shared"; }
  | STACK                     { $$ = "stack"; }
  | UPDATE                    { $$ = "update"; }
  | X                         { $$ = "x"; }
  ;

/* ---- arch: `KEY word word, word;` ---- */

arch:
    ARCH name '{' props '}'
        {
            NEW($$);
            $$->name = $2;
            $$->span = @$;
            $$->name_span = @2;
            $$->props = $4.head;
        }
  | ARCH name '{' props error '}'
        {
            NEW($$);
            $$->name = $2;
            $$->span = @$;
            $$->name_span = @2;
            $$->props = $4.head;
        }
  ;

props:
    %empty                      { LIST_EMPTY($$); }
  | props prop                  { $$ = $1; LIST_APPEND($$, $2); }
  | props error ';'             { $$ = $1; }
  ;

prop:
    prop_key ';'
        {
            NEW($$);
            $$->span = @1;
            $$->key = $1;
            $$->key_span = @1;
        }
  | prop_key clauses ';'
        {
            NEW($$);
            $$->span = span_of(@1, @2);
            $$->key = $1;
            $$->key_span = @1;
            $$->clauses = $2.head;
        }
  ;

prop_key:
    IDENT
  | keyword
  ;

clauses:
    clause                      { LIST_EMPTY($$); LIST_APPEND($$, $1); }
  | clauses ',' clause          { $$ = $1; LIST_APPEND($$, $3); }
  ;

clause:
    words
        {
            NEW($$);
            $$->span = @1;
            $$->words = $1.head;
        }
  ;

words:
    word                        { LIST_EMPTY($$); LIST_APPEND($$, $1); }
  | words word                  { $$ = $1; LIST_APPEND($$, $2); }
  ;

word:
    INT
        {
            NEW($$);
            $$->kind = KPL_WORD_NUMBER;
            $$->span = @1;
            $$->text = $1->text;
            $$->number = $1->value;
        }
  | DECIMAL
        {
            NEW($$);
            $$->kind = KPL_WORD_NUMBER;
            $$->span = @1;
            $$->text = $1->text;
            $$->number = $1->value;
        }
  | unit_part
        {
            NEW($$);
            $$->kind = KPL_WORD_IDENT;
            $$->span = @1;
            $$->text = $1;
        }
  | unit_part '/' unit_part
        {
            NEW($$);
            $$->kind = KPL_WORD_IDENT;
            $$->span = @$;
            $$->text = kpl_lex_unit(p, $1, $3);
            if ($$->text == NULL) {
                YYNOMEM;
            }
        }
  ;

unit_part:
    IDENT
  | keyword
  ;

/* ---- network ---- */

network:
    NETWORK name '{' stmts '}'
        {
            NEW($$);
            $$->name = $2;
            $$->span = @$;
            $$->name_span = @2;
            $$->stmts = $4.head;
        }
  | NETWORK name '{' stmts error '}'
        {
            NEW($$);
            $$->name = $2;
            $$->span = @$;
            $$->name_span = @2;
            $$->stmts = $4.head;
        }
  ;

stmts:
    %empty                      { LIST_EMPTY($$); }
  | stmts stmt                  { $$ = $1; LIST_APPEND($$, $2); }
  | stmts error ';'             { $$ = $1; }
  ;

/* `KIND NAME [<- PREV, ...] [[DIM=v, ...]] OPTION*;` or a flag `NAME;` */
stmt:
    IDENT ';'
        {
            NEW($$);
            $$->name = $1;
            $$->name_span = @1;
            $$->span = @1;
        }
  | IDENT name prevs shape options ';'
        {
            NEW($$);
            $$->kind = $1;
            $$->kind_span = @1;
            $$->name = $2;
            $$->name_span = @2;
            $$->span = span_of(@1, @5);
            $$->prevs = $3.head;
            $$->shape = $4.head;
            $$->has_shape = @4.end > @4.start;
            $$->options = $5.head;
        }
  ;

prevs:
    %empty                      { LIST_EMPTY($$); }
  | ARROW prev_list              { $$ = $2; }
  ;

prev_list:
    prev                        { LIST_EMPTY($$); LIST_APPEND($$, $1); }
  | prev_list ',' prev          { $$ = $1; LIST_APPEND($$, $3); }
  ;

prev:
    name
        {
            NEW($$);
            $$->text = $1;
            $$->span = @1;
        }
  ;

shape:
    %empty                      { LIST_EMPTY($$); }
  | '[' dimvals_opt ']'         { $$ = $2; }
  ;

dimvals_opt:
    %empty                      { LIST_EMPTY($$); }
  | dimvals
  ;

dimvals:
    dimval                      { LIST_EMPTY($$); LIST_APPEND($$, $1); }
  | dimvals ',' dimval          { $$ = $1; LIST_APPEND($$, $3); }
  ;

dimval:
    IDENT '=' expr
        {
            NEW($$);
            $$->dim = $1;
            $$->dim_span = @1;
            $$->value = $3;
        }
  ;

options:
    %empty                      { LIST_EMPTY($$); }
  | options option              { $$ = $1; LIST_APPEND($$, $2); }
  ;

option:
    IDENT expr
        {
            NEW($$);
            $$->name = $1;
            $$->span = @$;
            $$->first = $2;
        }
  | IDENT expr X expr
        {
            NEW($$);
            $$->name = $1;
            $$->span = @$;
            $$->first = $2;
            $$->second = $4;
        }
  ;

/* ---- scheme ---- */

scheme:
    scheme_head '{' scheme_body '}'
        {
            $$ = $1;
            $$->params = $3.params.head;
            $$->segments = $3.segments.head;
            $$->layers = $3.layers.head;
            $$->span = @$;
        }
  | scheme_head '{' scheme_body error '}'
        {
            $$ = $1;
            $$->params = $3.params.head;
            $$->segments = $3.segments.head;
            $$->layers = $3.layers.head;
            $$->span = @$;
        }
  ;

scheme_head:
    SCHEME name FOR name ON name BATCH expr
        {
            NEW($$);
            $$->name = $2;
            $$->name_span = @2;
            $$->network = $4;
            $$->network_span = @4;
            $$->arch = $6;
            $$->arch_span = @6;
            $$->batch = $8;
        }
  ;

/* Params, segments and layers may interleave; each keeps its order. */
scheme_body:
    %empty
        {
            LIST_EMPTY($$.params);
            LIST_EMPTY($$.segments);
            LIST_EMPTY($$.layers);
        }
  | scheme_body param           { $$ = $1; LIST_APPEND($$.params, $2); }
  | scheme_body segment         { $$ = $1; LIST_APPEND($$.segments, $2); }
  | scheme_body layermap        { $$ = $1; LIST_APPEND($$.layers, $2); }
  | scheme_body error ';'       { $$ = $1; }
  ;

param:
    PARAM IDENT '=' expr IN '[' expr ',' expr ']' ';'
        {
            NEW($$);
            $$->name = $2;
            $$->span = span_of(@1, @10);
            $$->value = $4;
            $$->lo = $7;
            $$->hi = $9;
        }
  ;

segment:
    SEGMENT '{' seg_items '}' ';'
        {
            NEW($$);
            $$->span = span_of(@1, @4);
            $$->items = $3.head;
        }
  | SEGMENT '{' seg_items '}' NODES region ';'
        {
            NEW($$);
            $$->span = span_of(@1, @6);
            $$->items = $3.head;
            $$->region = $6;
        }
  ;

seg_items:
    seg_item                    { LIST_EMPTY($$); LIST_APPEND($$, $1); }
  | seg_items ',' seg_item      { $$ = $1; LIST_APPEND($$, $3); }
  ;

seg_item:
    name
        {
            NEW($$);
            $$->layer = $1;
            $$->span = @1;
        }
  | name region
        {
            NEW($$);
            $$->layer = $1;
            $$->span = @$;
            $$->region = $2;
        }
  ;

region:
    '[' expr ':' expr ',' expr ':' expr ']'
        {
            NEW($$);
            $$->span = @$;
            $$->row0 = $2;
            $$->row1 = $4;
            $$->col0 = $6;
            $$->col1 = $8;
        }
  ;

layermap:
    LAYER name '{' levels '}'
        {
            NEW($$);
            $$->layer = $2;
            $$->span = @$;
            $$->name_span = @2;
            $$->levels = $4.head;
        }
  | LAYER name '{' levels error '}'
        {
            NEW($$);
            $$->layer = $2;
            $$->span = @$;
            $$->name_span = @2;
            $$->levels = $4.head;
        }
  ;

levels:
    %empty                      { LIST_EMPTY($$); }
  | levels level                { $$ = $1; LIST_APPEND($$, $2); }
  | levels error ';'            { $$ = $1; }
  ;

level:
    IDENT '{' directives '}'
        {
            NEW($$);
            $$->name = $1;
            $$->span = @$;
            $$->name_span = @1;
            $$->directives = $3.head;
        }
  | IDENT '{' directives error '}'
        {
            NEW($$);
            $$->name = $1;
            $$->span = @$;
            $$->name_span = @1;
            $$->directives = $3.head;
        }
  ;

directives:
    %empty                      { LIST_EMPTY($$); }
  | directives directive        { $$ = $1; LIST_APPEND($$, $2); }
  | directives error ';'        { $$ = $1; }
  ;

directive:
    TENSOR IDENT '(' dimvals_opt ')' shared_opt ';'
        {
            NEW($$);
            $$->kind = KPL_DIRECTIVE_TENSOR;
            $$->span = span_of(@1, @6);
            $$->tensor = $2;
            $$->tensor_span = @2;
            $$->extents = $4.head;
            $$->shared = $6;
        }
  | STACK '(' shifts ')' X expr ';'
        {
            NEW($$);
            $$->kind = KPL_DIRECTIVE_STACK;
            $$->span = span_of(@1, @6);
            $$->shifts = $3.head;
            $$->count = $6;
        }
  | UPDATE '(' shifts ')' ';'
        {
            NEW($$);
            $$->kind = KPL_DIRECTIVE_UPDATE;
            $$->span = span_of(@1, @4);
            $$->shifts = $3.head;
        }
  ;

shared_opt:
    %empty                      { $$ = NULL; }
  | SHARED expr               { $$ = $2; }
  ;

shifts:
    shift                       { LIST_EMPTY($$); LIST_APPEND($$, $1); }
  | shifts ',' shift            { $$ = $1; LIST_APPEND($$, $3); }
  ;

shift:
    IDENT PLUS_ASSIGN expr
        {
            NEW($$);
            $$->dim = $1;
            $$->dim_span = @1;
            $$->step = $3;
        }
  ;

/* ---- integer expressions ---- */

expr:
    INT                         { $$ = kpl_parse_number(p, @$, $1);
                                  CHECK_EXPR($$); }
  | IDENT                       { $$ = kpl_parse_param(p, @$, $1);
                                  CHECK_EXPR($$); }
  | '(' expr ')'                { $$ = $2; $$->span = @$; }
  | '-' expr %prec NEG          { $$ = kpl_parse_unary(p, @$, $2);
                                  CHECK_EXPR($$); }
  | expr '+' expr               { $$ = kpl_parse_binary(p, @$, KPL_EXPR_ADD,
                                                        $1, $3);
                                  CHECK_EXPR($$); }
  | expr '-' expr               { $$ = kpl_parse_binary(p, @$, KPL_EXPR_SUB,
                                                        $1, $3);
                                  CHECK_EXPR($$); }
  | expr '*' expr               { $$ = kpl_parse_binary(p, @$, KPL_EXPR_MUL,
                                                        $1, $3);
                                  CHECK_EXPR($$); }
  | expr '/' expr               { $$ = kpl_parse_binary(p, @$, KPL_EXPR_DIV,
                                                        $1, $3);
                                  CHECK_EXPR($$); }
  ;

%%

/*
 * Syntax errors read "expected X, saw Y".  The expected tokens come from
 * LAC, so they are exact.  The four tokens that start an expression are
 * named together; a decimal where an integer is expected gets its own
 * wording.
 */
enum { MAX_LISTED = 6 };

static bool starts_expression(yysymbol_kind_t kind)
{
    return kind == YYSYMBOL_INT || kind == YYSYMBOL_IDENT
           || kind == YYTRANSLATE('(') || kind == YYTRANSLATE('-');
}

/* The category shown before the source text of a token, or NULL. */
static const char *token_category(yysymbol_kind_t kind)
{
    switch (kind) {
    case YYSYMBOL_IDENT:
        return "name";
    case YYSYMBOL_INT:
        return "integer";
    case YYSYMBOL_DECIMAL:
        return "decimal number";
    case YYSYMBOL_STRING:
        return "string";
    default:
        return NULL;
    }
}

static bool is_keyword(yysymbol_kind_t kind)
{
    return kind >= YYSYMBOL_IMPORT && kind <= YYSYMBOL_X;
}

static bool is_operator(yysymbol_kind_t kind)
{
    return kind == YYTRANSLATE('+') || kind == YYTRANSLATE('-')
           || kind == YYTRANSLATE('*') || kind == YYTRANSLATE('/');
}

/*
 * Names the expected tokens: the tokens that start an expression become
 * "an integer expression", the four operators after one "an operator",
 * keywords go unnamed where any keyword is a word (arch properties), and
 * end of file comes last.
 */
static int name_expected(const yysymbol_kind_t *kinds, int count,
                         yysymbol_kind_t saw, const char **names)
{
    int starters = 0;
    int keywords = 0;
    int operators = 0;
    bool end = false;
    int named = 0;

    for (int i = 0; i < count; i++) {
        starters += starts_expression(kinds[i]);
        keywords += is_keyword(kinds[i]);
        operators += is_operator(kinds[i]);
    }
    bool fold_expression = starters == 4
                           || (saw == YYSYMBOL_DECIMAL && starters > 0);
    bool fold_keywords = keywords == YYSYMBOL_X - YYSYMBOL_IMPORT + 1;
    bool fold_operators = !fold_expression && operators == 4;
    if (fold_expression) {
        names[named++] = "an integer expression";
    }
    for (int i = 0; i < count; i++) {
        if (kinds[i] == YYSYMBOL_YYEOF) {
            end = true;
        } else if (fold_operators && is_operator(kinds[i])) {
            if (kinds[i] == YYTRANSLATE('+')) {
                names[named++] = "an operator";
            }
        } else if (fold_expression && (starts_expression(kinds[i])
                                       || saw == YYSYMBOL_DECIMAL)) {
            continue;
        } else if (!(fold_keywords && is_keyword(kinds[i]))) {
            names[named++] = yysymbol_name(kinds[i]);
        }
    }
    if (end) {
        names[named++] = yysymbol_name(YYSYMBOL_YYEOF);
    }
    return named;
}

static int yyreport_syntax_error(const yypcontext_t *ctx, yyscan_t scanner,
                                 struct kpl_parser *p)
{
    yysymbol_kind_t kinds[YYNTOKENS];
    const char *names[YYNTOKENS];
    int count = yypcontext_expected_tokens(ctx, kinds, YYNTOKENS);
    yysymbol_kind_t saw = yypcontext_token(ctx);

    (void)scanner;
    if (count < 0) {
        return 2;
    }
    count = name_expected(kinds, count, saw, names);
    if (count > MAX_LISTED) {
        count = 0;
    }
    kpl_parse_syntax_error(p, *yypcontext_location(ctx), token_category(saw),
                           yysymbol_name(saw), names, count);
    return 0;
}

static void kpl_yyerror(const KPL_YYLTYPE *loc, yyscan_t scanner,
                        struct kpl_parser *p, const char *message)
{
    (void)scanner;
    kpl_parse_fail(p, *loc, message);
}
