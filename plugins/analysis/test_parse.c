/*
 * test_parse.c -- what the analysis providers read (parse.c): HAProxy's
 * `show stat` CSV (a real answer of HAProxy 2.6, cut to its columns'
 * header and three lines), Prometheus's query answers, including the
 * empty vector and NaN that must be no data, not an error.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"

static const char csv[] =
	"# pxname,svname,qcur,qmax,scur,smax,slim,stot,bin,bout,dreq,dresp,ereq,econ,eresp,wretr,"
	"wredis,status,weight,act,bck,chkfail,chkdown,lastchg,downtime,qlimit,pid,iid,sid,throttle,"
	"lbtot,tracked,type,rate,rate_lim,rate_max,check_status,check_code,check_duration,hrsp_1xx,"
	"hrsp_2xx,hrsp_3xx,hrsp_4xx,hrsp_5xx,hrsp_other,hanafail,req_rate,req_rate_max,req_tot,"
	"cli_abrt,srv_abrt,comp_in,comp_out,comp_byp,comp_rsp,lastsess,last_chk,last_agt,qtime,ctime,"
	"rtime,ttime,agent_status,agent_code,agent_duration,check_desc,agent_desc,check_rise,"
	"check_fall,check_health,agent_rise,agent_fall,agent_health,addr,\n"
	"fe.dev.shop,FRONTEND,,,0,1,4096,10,,,,,,,,,,OPEN,,,,,,,,,1,2,0,,,,0,0,0,1,,,,0,200,0,0,5,0,,"
	"0,1,205,,,,,,,,,,,,,,,,,,,,,,,,,,\n"
	"be.dev.shop,s0,0,0,0,1,,190,,,,,,0,0,0,0,UP,190,1,0,,0,5,0,,1,3,1,,190,,2,0,,1,,,,0,187,0,0,3,"
	"0,,,,190,0,0,,,,,0,,,0,0,12,14,,,,,,,,,,,,127.0.0.1:41001,\n"
	"be.dev.shop,s1,0,0,0,1,,10,,,,,,0,0,0,0,UP,20,1,0,,0,5,0,,1,3,2,,10,,2,0,,1,,,,0,8,0,0,2,0,"
	",,,10,0,0,,,,,0,,,0,0,45,50,,,,,,,,,,,,127.0.0.1:41002,\n"
	"be.dev.other,s0,0,0,0,1,,3,,,,,,0,0,0,0,UP,100,1,0,,0,5,0,,1,4,1,,3,,2,0,,1,,,,0,3,0,0,0,0,,"
	",,3,0,0,,,,,0,,,0,0,1,1,,,,,,,,,,,,127.0.0.1:41009,\n"
	"be.dev.shop,BACKEND,0,0,0,1,,200,,,,,,0,0,0,0,UP,210,2,0,,0,5,0,,1,3,0,,200,,1,0,,1,,,,0,195,"
	"0,0,5,0,,,,200,0,0,,,,,0,,,0,0,13,15,,,,,,,,,,,,,\n";

START_TEST(test_stat)
{
	struct an_server s[8];
	int n = an_parse_stat(csv, "be.dev.shop", s, 8);
	ck_assert_int_eq(n, 2);
	ck_assert_str_eq(s[0].name, "s0");
	ck_assert_str_eq(s[0].addr, "127.0.0.1:41001");
	ck_assert_double_eq(s[0].responses, 190);
	ck_assert_double_eq(s[0].errors, 3);
	ck_assert_double_eq(s[0].rtime_ms, 12);
	ck_assert_str_eq(s[1].addr, "127.0.0.1:41002");
	ck_assert_double_eq(s[1].responses, 10);
	ck_assert_double_eq(s[1].errors, 2);
	ck_assert_str_eq(s[1].status, "UP");
	ck_assert_int_eq(an_parse_stat(csv, "be.dev.none", s, 8), 0);
	ck_assert_int_eq(an_parse_stat("Unknown command.\n", "be.dev.shop", s, 8), -1);
	ck_assert_int_eq(an_parse_stat("", "x", s, 8), -1);
}
END_TEST

static json_t *prom(const char *body, char *err)
{
	json_t *v = NULL;
	if (an_prom_value(body, &v, err, 200) != 0)
		ck_assert_ptr_null(v);
	return v;
}

START_TEST(test_prometheus)
{
	char err[200];
	json_t *v = prom("{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":["
	                 "{\"metric\":{},\"value\":[1700000000.1,\"0.051\"]}]}}", err);
	ck_assert(json_is_number(v));
	ck_assert_double_eq(json_number_value(v), 0.051);
	json_decref(v);
	/* the empty vector and NaN are no data (null), never an error */
	v = prom("{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[]}}", err);
	ck_assert(json_is_null(v));
	json_decref(v);
	v = prom("{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":["
	         "{\"metric\":{},\"value\":[1,\"NaN\"]}]}}", err);
	ck_assert(json_is_null(v));
	json_decref(v);
	v = prom("{\"status\":\"success\",\"data\":{\"resultType\":\"scalar\",\"result\":[1,\"2\"]}}",
	         err);
	ck_assert_double_eq(json_number_value(v), 2);
	json_decref(v);
	v = prom("{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":["
	         "{\"metric\":{\"a\":\"1\"},\"value\":[1,\"3\"]},{\"metric\":{\"a\":\"2\"},"
	         "\"value\":[1,\"4\"]}]}}", err);
	ck_assert(json_is_array(v) && json_array_size(v) == 2);
	ck_assert_double_eq(json_number_value(json_array_get(v, 1)), 4);
	json_decref(v);
	ck_assert_ptr_null(prom("{\"status\":\"error\",\"errorType\":\"bad_data\",\"error\":\"parse "
	                        "error at char 5\"}", err));
	ck_assert_str_eq(err, "bad_data: parse error at char 5");
	ck_assert_ptr_null(prom("{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\","
	                        "\"result\":[]}}", err));
	ck_assert_ptr_nonnull(strstr(err, "a matrix result"));
	ck_assert_ptr_null(prom("<html>", err));
}
END_TEST

START_TEST(test_template)
{
	json_t *v = json_pack("{ss ss si}", "service", "shop", "replicas", "r3|r4", "n", 5);
	char *s = an_template("x{service=\"{{service}}\",replica=~\"{{replicas}}\"}[{{n}}s] {{nope}} {{",
	                      v);
	ck_assert_str_eq(s, "x{service=\"shop\",replica=~\"r3|r4\"}[5s] {{nope}} {{");
	free(s);
	json_decref(v);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("analysis_parse");
	TCase *tc = tcase_create("parse");
	tcase_add_test(tc, test_stat);
	tcase_add_test(tc, test_prometheus);
	tcase_add_test(tc, test_template);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
