/**
 * The request policy: who chat-bridge may act as on the API, with which assistants and message roles, and (optionally)
 * the on-behalf-of tokens that prove a producer may act for an account. Checked at intake, before any API call; see
 * {@code docs/security.md} for the threat model.
 */
package dev.chatbridge.policy;
