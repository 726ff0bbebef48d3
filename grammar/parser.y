/* Placeholder grammar: replaced by the real one. */
%require "3.8"
%define api.pure full
%define api.prefix {kpl_yy}
%header
%code requires { typedef void *yyscan_t; }
%param {yyscan_t scanner}
%code { int kpl_yylex(KPL_YYSTYPE *lval, yyscan_t scanner); 
static void kpl_yyerror(yyscan_t s, const char *m) { (void)s; (void)m; } }
%%
file: %empty ;
%%
