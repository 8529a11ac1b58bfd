--
-- PostgreSQL database dump
--

\restrict FlKp6Uk5s7lWIGbshavqd6JBjMrnywascpsJWiIyjEJpb8NlgrMQ1z6dxBsWUJs

-- Dumped from database version 15.18 (Debian 15.18-0+deb12u1)
-- Dumped by pg_dump version 15.18 (Debian 15.18-0+deb12u1)

SET statement_timeout = 0;
SET lock_timeout = 0;
SET idle_in_transaction_session_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SELECT pg_catalog.set_config('search_path', '', false);
SET check_function_bodies = false;
SET xmloption = content;
SET client_min_messages = warning;
SET row_security = off;

SET default_tablespace = '';

SET default_table_access_method = heap;

--
-- Name: audit_log; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.audit_log (
    id bigint NOT NULL,
    at bigint NOT NULL,
    actor text NOT NULL,
    action text NOT NULL,
    target text NOT NULL,
    detail text
);


--
-- Name: audit_log_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.audit_log_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: audit_log_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.audit_log_id_seq OWNED BY public.audit_log.id;


--
-- Name: deleted_satellites; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.deleted_satellites (
    name text NOT NULL,
    revision bigint NOT NULL
);


--
-- Name: fleet_meta; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.fleet_meta (
    key text NOT NULL,
    value text NOT NULL
);


--
-- Name: fleet_revision; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.fleet_revision (
    id integer NOT NULL,
    value bigint NOT NULL,
    CONSTRAINT fleet_revision_id_check CHECK ((id = 1))
);


--
-- Name: image_groups; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.image_groups (
    name text NOT NULL,
    registry text NOT NULL,
    artifacts text NOT NULL,
    revision bigint NOT NULL,
    updated_at bigint NOT NULL
);


--
-- Name: registries; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.registries (
    name text NOT NULL,
    url text NOT NULL,
    kind text NOT NULL,
    username text,
    password text,
    insecure integer NOT NULL,
    revision bigint NOT NULL,
    updated_at bigint NOT NULL
);


--
-- Name: satellite_groups; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.satellite_groups (
    satellite text NOT NULL,
    group_name text NOT NULL
);


--
-- Name: satellites; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.satellites (
    name text NOT NULL,
    status text NOT NULL,
    labels text NOT NULL,
    settings text NOT NULL,
    revision bigint NOT NULL,
    created_at bigint NOT NULL,
    token_hash text,
    token_expires_at bigint,
    credential_hash text,
    next_credential_hash text,
    rotate_requested integer DEFAULT 0 NOT NULL,
    registered_at bigint,
    last_seen bigint,
    applied_generation bigint,
    report text
);


--
-- Name: schema_migrations; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.schema_migrations (
    version integer NOT NULL,
    applied_at bigint NOT NULL
);


--
-- Name: audit_log id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.audit_log ALTER COLUMN id SET DEFAULT nextval('public.audit_log_id_seq'::regclass);


--
-- Data for Name: audit_log; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.audit_log (id, at, actor, action, target, detail) FROM stdin;
1	1795681654850	admin	registry.put	central	http://127.0.0.1:5999
2	1795681655081	admin	group.put	edge	registry central, 2 artifact(s)
3	1795681655359	admin	satellite.create	edge-01	groups edge
4	1795681655621	admin	satellite.create	spare	groups 
\.


--
-- Data for Name: deleted_satellites; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.deleted_satellites (name, revision) FROM stdin;
\.


--
-- Data for Name: fleet_meta; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.fleet_meta (key, value) FROM stdin;
admin_token_hash	ccce1cbb0e849a2f46ad55d94ba4407301cf934444c148d20f803c828c27f059
signing_key	kWTYGuu1jdBT+6pIENYtBjF4mXOaOQ9N00712PabpQQ=
\.


--
-- Data for Name: fleet_revision; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.fleet_revision (id, value) FROM stdin;
1	4
\.


--
-- Data for Name: image_groups; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.image_groups (name, registry, artifacts, revision, updated_at) FROM stdin;
edge	central	[{"repository":"library/alpine","tag":"3.20"},{"digest":"sha256:0000000000000000000000000000000000000000000000000000000000000001","repository":"library/busybox"}]	2	1795681655070
\.


--
-- Data for Name: registries; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.registries (name, url, kind, username, password, insecure, revision, updated_at) FROM stdin;
central	http://127.0.0.1:5999	oci	fixture	fixture-password	0	1	1795681654828
\.


--
-- Data for Name: satellite_groups; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.satellite_groups (satellite, group_name) FROM stdin;
edge-01	edge
\.


--
-- Data for Name: satellites; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.satellites (name, status, labels, settings, revision, created_at, token_hash, token_expires_at, credential_hash, next_credential_hash, rotate_requested, registered_at, last_seen, applied_generation, report) FROM stdin;
edge-01	pending	{"site":"north","tier":"store"}	{"heartbeatIntervalSeconds":30,"logLevel":"info","syncIntervalSeconds":60}	3	1795681655329	7faeaa4f7872093514183553d20c580a0bde0d32329e9a82fa6930581efda241	1795768055329	\N	\N	0	\N	\N	\N	\N
spare	pending	{}	{"heartbeatIntervalSeconds":30,"logLevel":"info","syncIntervalSeconds":60}	4	1795681655607	d535a70386493077c6362843ffff3146a3f7326d010869dbcb7e29821442a5ed	1795768055607	\N	\N	0	\N	\N	\N	\N
\.


--
-- Data for Name: schema_migrations; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.schema_migrations (version, applied_at) FROM stdin;
1	1795681654503
2	1795681654519
\.


--
-- Name: audit_log_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.audit_log_id_seq', 4, true);


--
-- Name: audit_log audit_log_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.audit_log
    ADD CONSTRAINT audit_log_pkey PRIMARY KEY (id);


--
-- Name: deleted_satellites deleted_satellites_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.deleted_satellites
    ADD CONSTRAINT deleted_satellites_pkey PRIMARY KEY (name);


--
-- Name: fleet_meta fleet_meta_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.fleet_meta
    ADD CONSTRAINT fleet_meta_pkey PRIMARY KEY (key);


--
-- Name: fleet_revision fleet_revision_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.fleet_revision
    ADD CONSTRAINT fleet_revision_pkey PRIMARY KEY (id);


--
-- Name: image_groups image_groups_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.image_groups
    ADD CONSTRAINT image_groups_pkey PRIMARY KEY (name);


--
-- Name: registries registries_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.registries
    ADD CONSTRAINT registries_pkey PRIMARY KEY (name);


--
-- Name: satellite_groups satellite_groups_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.satellite_groups
    ADD CONSTRAINT satellite_groups_pkey PRIMARY KEY (satellite, group_name);


--
-- Name: satellites satellites_credential_hash_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.satellites
    ADD CONSTRAINT satellites_credential_hash_key UNIQUE (credential_hash);


--
-- Name: satellites satellites_next_credential_hash_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.satellites
    ADD CONSTRAINT satellites_next_credential_hash_key UNIQUE (next_credential_hash);


--
-- Name: satellites satellites_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.satellites
    ADD CONSTRAINT satellites_pkey PRIMARY KEY (name);


--
-- Name: satellites satellites_token_hash_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.satellites
    ADD CONSTRAINT satellites_token_hash_key UNIQUE (token_hash);


--
-- Name: schema_migrations schema_migrations_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.schema_migrations
    ADD CONSTRAINT schema_migrations_pkey PRIMARY KEY (version);


--
-- Name: image_groups_by_registry; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX image_groups_by_registry ON public.image_groups USING btree (registry);


--
-- Name: satellite_groups_by_group; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX satellite_groups_by_group ON public.satellite_groups USING btree (group_name);


--
-- Name: image_groups image_groups_registry_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.image_groups
    ADD CONSTRAINT image_groups_registry_fkey FOREIGN KEY (registry) REFERENCES public.registries(name);


--
-- Name: satellite_groups satellite_groups_group_name_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.satellite_groups
    ADD CONSTRAINT satellite_groups_group_name_fkey FOREIGN KEY (group_name) REFERENCES public.image_groups(name);


--
-- Name: satellite_groups satellite_groups_satellite_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.satellite_groups
    ADD CONSTRAINT satellite_groups_satellite_fkey FOREIGN KEY (satellite) REFERENCES public.satellites(name) ON DELETE CASCADE;


--
-- PostgreSQL database dump complete
--

\unrestrict FlKp6Uk5s7lWIGbshavqd6JBjMrnywascpsJWiIyjEJpb8NlgrMQ1z6dxBsWUJs

