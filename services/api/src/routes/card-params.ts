import { CardToken } from '@fare/contracts'
import { Type } from 'typebox'

/** The path of every card route: `/v1/cards/{cardToken}/...`. */
export const CardParams = Type.Object({ cardToken: CardToken }, { additionalProperties: false, examples: [{ cardToken: 'ct_demo_adult_0001' }] })
